// Denormal floats flushed to zero (MXCSR FTZ and DAZ) on the calling thread while a network runs: denormal
// arithmetic is slow on x86, and the default recogniser produces many (5x slower without this on ONNX Runtime, 3.4x
// on OpenVINO, same results). The runtimes' own options cover their pool threads; this covers the thread that calls
// them, whichever it is, and leaves its mode as it was for the OpenCV code that runs on it afterwards.
#pragma once

#include <xmmintrin.h>

namespace facesearch::infer {

class FlushDenormals {
 public:
  explicit FlushDenormals(bool on) : saved_(_mm_getcsr()), on_(on) {
    constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
    if (on_) _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
  }
  ~FlushDenormals() {
    if (on_) _mm_setcsr(saved_);
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_;
  bool on_;
};

}  // namespace facesearch::infer
