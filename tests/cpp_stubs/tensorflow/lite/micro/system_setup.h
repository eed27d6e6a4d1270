// Stub for the host syntax check.
#pragma once
namespace tflite {
void InitializeTarget();
}
