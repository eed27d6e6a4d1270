// The model hello_world_float.tflite, compiled into flash.
#ifndef TINYFLASH_MODEL_DATA_H_
#define TINYFLASH_MODEL_DATA_H_

extern const unsigned char g_model_data[];
extern const unsigned int g_model_data_len;

#endif  // TINYFLASH_MODEL_DATA_H_
