#!/usr/bin/env python3
"""Checks that includes only go down forge's layers (docs/architecture.md).

Every #include "FOLDER/..." in the library folders and apps/ must name a
folder on a lower layer than the including file's own, or the same folder.
Prints each upward or sideways include as FILE:LINE and exits 1 when there is
one. Usage: scripts/check_layers.py [REPO_ROOT]
"""
import os
import re
import sys

# Bottom to top. A folder may include its own folder and the folders of lower
# layers; folders on one layer know nothing of each other.
LAYERS = [
    ["common"],
    ["kernels"],  # the per-device kernel table and the argument types every device's kernels share
    ["kernels/cpu", "kernels/cuda"],
    ["autograd"],  # autograd/ops is part of autograd: the tape and the ops know each other
    ["io", "viz", "distributed"],
    ["nn", "optim", "data"],
    ["recipes"],
    ["checkpoint", "monitor"],
    ["train"],
    ["apps"],
]
RANK = {folder: rank for rank, folders in enumerate(LAYERS) for folder in folders}
# A device's own kernels: above the layer of kernels/, only the table
# (kernels/backend.h) may be included, never these (docs/devices.md).
DEVICE_KERNELS = {"kernels/cpu", "kernels/cuda"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(path):
    """The layer folder a repository-relative path lies in (longest match), or None."""
    best = None
    for folder in RANK:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    violations, files = [], 0
    for folder in RANK:
        top = os.path.join(root, folder)
        for dirpath, _, names in os.walk(top):
            for name in sorted(names):
                if not name.endswith((".h", ".cpp", ".cu", ".cuh")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                if folder_of(rel) != folder:
                    continue  # a deeper folder with a layer of its own
                files += 1
                with open(path, encoding="utf-8", errors="replace") as f:
                    for line_no, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        target = folder_of(m.group(1)) if m else None
                        if target is None or target == folder:
                            continue
                        if target in DEVICE_KERNELS and RANK[folder] > RANK[target]:
                            violations.append(f"{rel}:{line_no}: {folder}/ includes \"{m.group(1)}\", a device's "
                                              f"kernels; reach them through kernels/backend.h")
                        elif RANK[target] >= RANK[folder]:
                            violations.append(f"{rel}:{line_no}: {folder}/ (layer {RANK[folder]}) includes "
                                              f"\"{m.group(1)}\" from {target}/ (layer {RANK[target]})")
    for v in violations:
        print(v)
    print(f"check_layers: {files} files, {len(violations)} includes that do not go down")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
