# ctest infer_builds_without_onnxruntime: configures this checkout with FACESEARCH_ONNXRUNTIME=OFF and
# FACESEARCH_OPENVINO=OFF in its own build folder (kept between runs, so later runs only check it is up to date),
# builds the inference layer and its probe, and runs a network with it: it must run, on OpenCV DNN. Everything else
# compiles the same with or without either runtime (only src/infer names them), so this small target is what the
# options can break.
#   cmake -DSOURCE=<checkout> -DBINARY=<folder> -DMODEL=<file.onnx> -DSHAPE="1 3 320 320" [-DLAUNCHER=ccache] -P ...
foreach(var SOURCE BINARY MODEL SHAPE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "without_onnxruntime.cmake: -D${var}= missing")
  endif()
endforeach()
set(launcher)
if(LAUNCHER)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -G Ninja -DCMAKE_BUILD_TYPE=Release
                        -DFACESEARCH_ONNXRUNTIME=OFF -DFACESEARCH_OPENVINO=OFF -DFACESEARCH_BUILD_TESTS=OFF -DFACESEARCH_BUILD_BENCH=OFF ${launcher}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "ONNX Runtime: not used" OR NOT out MATCHES "OpenVINO: not used")
  message(FATAL_ERROR "configure with FACESEARCH_ONNXRUNTIME=OFF FACESEARCH_OPENVINO=OFF failed (${rc}):\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} --target facesearch_infer_probe
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build with FACESEARCH_ONNXRUNTIME=OFF failed:\n${out}")
endif()
separate_arguments(shape UNIX_COMMAND "${SHAPE}")
# The default runtime, then ONNX Runtime and OpenVINO by name: the first must run on OpenCV, the others be refused.
execute_process(COMMAND ${BINARY}/src/infer/facesearch_infer_probe ${MODEL} ${shape}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "runtimes opencv\nruntime opencv\n" OR NOT out MATCHES "output [^ ]+ 1x")
  message(FATAL_ERROR "the probe did not run the network on OpenCV DNN (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${BINARY}/src/infer/facesearch_infer_probe --runtime onnxruntime ${MODEL} ${shape}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "no ONNX Runtime")
  message(FATAL_ERROR "asking a build without ONNX Runtime for it should fail (${rc}):\n${out}${err}")
endif()
execute_process(COMMAND ${BINARY}/src/infer/facesearch_infer_probe --runtime openvino ${MODEL} ${shape}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "no OpenVINO")
  message(FATAL_ERROR "asking a build without OpenVINO for it should fail (${rc}):\n${out}${err}")
endif()
