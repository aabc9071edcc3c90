# Installation: `cmake --install BUILD --prefix P` puts under P
#   bin/forge                        the command-line binary
#   lib/libforge_*.a                 the static libraries
#   include/forge/<folder>/*.h       their headers, included as "nn/transformer.h"
#   lib/cmake/forge/                 the package: find_package(forge) gives forge::forge
#                                    (everything) and one target per library (forge::core,
#                                    forge::nn, forge::train, ...)
# tests/install/ builds a small outside project against it (ctest entry install_consumer).
include(CMakePackageConfigHelpers)

# forge::forge: the whole library; forge_train sits on top of every other layer.
add_library(forge_library INTERFACE)
target_link_libraries(forge_library INTERFACE forge_train)
set_target_properties(forge_library PROPERTIES EXPORT_NAME forge)
add_library(forge::forge ALIAS forge_library)

set(FORGE_LIBRARIES forge_core forge_distributed forge_nn forge_optim forge_io forge_data forge_viz
    forge_recipes forge_checkpoint forge_monitor forge_train)
if(TARGET forge_cuda)
  list(APPEND FORGE_LIBRARIES forge_cuda)
endif()
foreach(lib ${FORGE_LIBRARIES})
  string(REGEX REPLACE "^forge_" "" export_name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${export_name})
endforeach()

install(TARGETS forge RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ${FORGE_LIBRARIES} forge_library EXPORT forgeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/forge)
# Each library folder's own headers (a glob per folder, not a recursive copy:
# no empty folders for data/corpus and the like).
foreach(dir common kernels kernels/cpu kernels/cuda autograd autograd/ops io viz distributed nn optim data recipes
        checkpoint monitor train)
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.h ${PROJECT_SOURCE_DIR}/${dir}/*.cuh)
  install(FILES ${headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/forge/${dir})
endforeach()

set(FORGE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/forge)
install(EXPORT forgeTargets NAMESPACE forge:: DESTINATION ${FORGE_CMAKE_DIR})
# forgeConfig.cmake finds again what the targets link against by target name
# (HDF5 and MPI are linked by path).
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/forgeConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/forgeConfig.cmake INSTALL_DESTINATION ${FORGE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/forgeConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/forgeConfig.cmake ${PROJECT_BINARY_DIR}/forgeConfigVersion.cmake
        DESTINATION ${FORGE_CMAKE_DIR})
