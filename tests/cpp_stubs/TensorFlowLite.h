// Stub for the host syntax check: the Arduino_TensorFlowLite library umbrella header.
#pragma once
