// io/hdf5_util's attribute readers on attributes written the ways other tools
// write them (h5py's NULLPAD fixed-length bytes and variable-length UTF-8
// strings), and the message for each kind of bad attribute.
#include <gtest/gtest.h>

#include "io/hdf5_util.h"
#include "tests/test_util.h"

namespace forge::h5 {
namespace {

using forge::testing::error_of;

// A fresh HDF5 file with a group /g, open for writing.
struct File {
  std::string path;
  Handle file, group;
  File() {
    path = (forge::testing::fresh_test_dir("forge_hdf5_util_") / "attrs.h5").string();
    file = create_file(path);
    group = Handle(H5Gcreate2(file, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  }
};

// A scalar fixed-length string attribute of `size` bytes, with the given padding and character set.
void write_fixed_string(hid_t loc, const char* name, const std::string& bytes, H5T_str_t pad, H5T_cset_t cset) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, bytes.size());
  H5Tset_strpad(type, pad);
  H5Tset_cset(type, cset);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  ASSERT_GE(H5Awrite(attr, type, bytes.data()), 0);
}

TEST(Hdf5Attributes, NullpadFixedStringKeepsItsLastCharacter) {
  File f;
  write_fixed_string(f.group, "family", "bert", H5T_STR_NULLPAD, H5T_CSET_ASCII);
  write_fixed_string(f.group, "padded", std::string("gpt2\0\0\0", 7), H5T_STR_NULLPAD, H5T_CSET_ASCII);
  write_fixed_string(f.group, "space", "ab  ", H5T_STR_SPACEPAD, H5T_CSET_ASCII);
  write_fixed_string(f.group, "utf8", "caf\xc3\xa9", H5T_STR_NULLPAD, H5T_CSET_UTF8);
  EXPECT_EQ(read_attr_string(f.group, "family", f.path), "bert");
  EXPECT_EQ(read_attr_string(f.group, "padded", f.path), "gpt2");
  EXPECT_EQ(read_attr_string(f.group, "utf8", f.path), "caf\xc3\xa9");
  EXPECT_EQ(read_attr_string(f.group, "space", f.path).substr(0, 2), "ab");
}

TEST(Hdf5Attributes, NulltermAndForgesOwnStringsRoundTrip) {
  File f;
  write_fixed_string(f.group, "nullterm", std::string("llama\0", 6), H5T_STR_NULLTERM, H5T_CSET_ASCII);
  write_attr_string(f.group, "own", "recipe: text\n");
  write_attr_string(f.group, "empty", "");
  EXPECT_EQ(read_attr_string(f.group, "nullterm", f.path), "llama");
  EXPECT_EQ(read_attr_string(f.group, "own", f.path), "recipe: text\n");
  EXPECT_EQ(read_attr_string(f.group, "empty", f.path), "");
}

TEST(Hdf5Attributes, VariableLengthUtf8String) {
  File f;
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(f.group, "name", type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* value = "adamw \xe2\x9c\x93";
  ASSERT_GE(H5Awrite(attr, type, &value), 0);
  EXPECT_EQ(read_attr_string(f.group, "name", f.path), "adamw \xe2\x9c\x93");
}

TEST(Hdf5Attributes, EachFaultIsNamed) {
  File f;
  write_attr_int(f.group, "step", 7);
  write_attr_string(f.group, "family", "gpt2");
  write_attr_double(f.group, "lr", 0.5);
  const hsize_t n = 3;
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle array(H5Acreate2(f.group, "dims", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const int64_t dims[3] = {1, 2, 3};
  ASSERT_GE(H5Awrite(array, H5T_NATIVE_INT64, dims), 0);

  EXPECT_HAS(error_of([&] { read_attr_int(f.group, "missing", f.path); }), "has no attribute 'missing' on /g");
  EXPECT_HAS(error_of([&] { read_attr_string(f.group, "step", f.path); }),
             "attribute 'step' of /g in '" + f.path + "' is an integer, expected a string");
  EXPECT_HAS(error_of([&] { read_attr_int(f.group, "family", f.path); }), "is a string, expected an integer");
  EXPECT_HAS(error_of([&] { read_attr_int(f.group, "lr", f.path); }), "is a floating-point number, expected an integer");
  EXPECT_HAS(error_of([&] { read_attr_int(f.group, "dims", f.path); }), "attribute 'dims' of /g");
  EXPECT_HAS(error_of([&] { read_attr_int(f.group, "dims", f.path); }), "holds 3 values, expected one");
  EXPECT_HAS(error_of([&] { read_attr_uint64(f.group, "family", f.path); }), "expected an integer");
  EXPECT_HAS(error_of([&] { read_attr_double(f.group, "family", f.path); }), "is a string, expected a number");
  // Integers widen to doubles; the values read back are exact.
  EXPECT_EQ(read_attr_double(f.group, "step", f.path), 7.0);
  EXPECT_EQ(read_attr_int(f.group, "step", f.path), 7);
}

}  // namespace
}  // namespace forge::h5
