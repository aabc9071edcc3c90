#!/usr/bin/env bash
# Launches forge under OpenMPI's mpirun, on this machine or across the machines
# of a hostfile, with the flags a plain `mpirun` would ask for:
#
#   scripts/launch_mpirun.sh -n 4 -- forge train recipes/quickstart.yaml parallel.dp=4
#   scripts/launch_mpirun.sh -n 16 --hostfile hosts.txt -- forge train my.yaml parallel.tp=2
#
# Options (before `--`):
#   -n N             number of ranks (world size = dp x tp x pp of the recipe)
#   --hostfile FILE  one line per machine, e.g. `node1 slots=8` (OpenMPI format);
#                    the forge binary and the data must be at the same paths there
#   --threads T      OpenMP threads per rank (default: cores / ranks on this machine, at least 1)
# Everything after `--` is the command each rank runs.
#
# It adds --oversubscribe when one machine gets more ranks than cores, the
# OMPI_ALLOW_RUN_AS_ROOT pair when run as root (containers), --bind-to none
# (each rank runs an OpenMP pool of T threads), and exports OMP_NUM_THREADS and
# every FORGE_*/OMP_* variable to all ranks.
set -euo pipefail

np=""
hostfile=""
threads=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n|-np) np="$2"; shift 2 ;;
    --hostfile) hostfile="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "launch_mpirun.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$np" ] || [ $# -eq 0 ]; then
  echo "usage: scripts/launch_mpirun.sh -n N [--hostfile FILE] [--threads T] -- forge train RECIPE.yaml [key=value ...]" >&2
  exit 2
fi
command -v mpirun >/dev/null || { echo "launch_mpirun.sh: mpirun not found (bash scripts/setup.sh installs OpenMPI)" >&2; exit 1; }

cores=$(nproc)
args=(-np "$np" --bind-to none)
if [ -n "$hostfile" ]; then
  [ -r "$hostfile" ] || { echo "launch_mpirun.sh: cannot read hostfile '$hostfile'" >&2; exit 1; }
  args+=(--hostfile "$hostfile")
  per_node=$np  # unknown split across machines: size threads for the worst case unless --threads says
else
  per_node=$np
  if [ "$np" -gt "$cores" ]; then args+=(--oversubscribe); fi
fi
if [ -z "$threads" ]; then
  threads=$(( cores / per_node ))
  if [ "$threads" -lt 1 ]; then threads=1; fi
fi
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMP_NUM_THREADS="$threads"
args+=(-x OMP_NUM_THREADS)
for var in $(env | sed -n 's/^\(FORGE_[A-Za-z0-9_]*\|OPENBLAS_[A-Za-z0-9_]*\)=.*/\1/p'); do args+=(-x "$var"); done

exec mpirun "${args[@]}" "$@"
