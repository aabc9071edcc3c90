#!/usr/bin/env bash
# Runs forge on a Slurm allocation with `srun --mpi=pmix`: one rank per task,
# OMP_NUM_THREADS = the CPUs Slurm gives each task.
#
# Inside an allocation (salloc, or an sbatch script):
#   scripts/launch_slurm.sh -- forge train my.yaml parallel.tp=2
# Submitting directly (the script is also a batch script; edit the #SBATCH lines):
#   sbatch --nodes=2 --ntasks-per-node=8 --cpus-per-task=4 scripts/launch_slurm.sh -- forge train my.yaml
#
# forge sees PMIX_RANK in its environment, initialises MPI and joins the
# recipe's dp x tp x pp layout over all $SLURM_NTASKS ranks (docs/distributed.md).
# Needs Slurm built with PMIx (`srun --mpi=list` shows pmix) and an OpenMPI
# with PMIx support (Debian's is).
#SBATCH --job-name=forge
#SBATCH --output=forge-%j.out
set -euo pipefail

if [ "${1:-}" = "--" ]; then shift; fi
if [ $# -eq 0 ]; then
  echo "usage: scripts/launch_slurm.sh -- forge train RECIPE.yaml [key=value ...]" >&2
  exit 2
fi
command -v srun >/dev/null || { echo "launch_slurm.sh: srun not found (run on a Slurm cluster)" >&2; exit 1; }
if [ -z "${SLURM_JOB_ID:-}" ]; then
  echo "launch_slurm.sh: not inside a Slurm allocation; use salloc or sbatch (see the comment at the top)" >&2
  exit 1
fi
export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
exec srun --mpi=pmix --cpu-bind=cores "$@"
