// Moved to the inference layer (infer/onnx_static.hpp); kept so code written against the old path still builds.
#pragma once

#include "infer/onnx_static.hpp"
