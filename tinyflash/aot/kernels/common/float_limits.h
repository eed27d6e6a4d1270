#ifndef TINYFLASH_AOT_COMMON_FLOAT_LIMITS_H_
#define TINYFLASH_AOT_COMMON_FLOAT_LIMITS_H_

constexpr float kFloatLowest = -3.40282347e+38f;  // std::numeric_limits<float>::lowest()

#endif  // TINYFLASH_AOT_COMMON_FLOAT_LIMITS_H_
