// One include for the whole op library.
#pragma once

#include "autograd/ops/attention.h"
#include "autograd/ops/device_copy.h"
#include "autograd/ops/elementwise.h"
#include "autograd/ops/linalg.h"
#include "autograd/ops/nn.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/view.h"
