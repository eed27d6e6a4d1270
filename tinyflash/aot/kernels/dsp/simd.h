// The Armv7E-M DSP instructions the optimized kernels use, through ACLE intrinsics (<arm_acle.h>) where
// the compiler targets the DSP extension, and as portable C with the same results elsewhere, so the
// kernels' arithmetic can be checked on the host too.
#ifndef TINYFLASH_AOT_DSP_SIMD_H_
#define TINYFLASH_AOT_DSP_SIMD_H_

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#endif

// TINYFLASH_UNROLL fully unrolls the loop that follows (a compile-time trip count); TINYFLASH_UNROLL_BY(n)
// unrolls it n times. Compilers without the pragma just run the loop.
#define TINYFLASH_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define TINYFLASH_UNROLL _Pragma("unroll")
#define TINYFLASH_UNROLL_BY(n) TINYFLASH_PRAGMA(unroll n)
#elif defined(__GNUC__) && __GNUC__ >= 8
#define TINYFLASH_UNROLL _Pragma("GCC unroll 64")
#define TINYFLASH_UNROLL_BY(n) TINYFLASH_PRAGMA(GCC unroll n)
#else
#define TINYFLASH_UNROLL
#define TINYFLASH_UNROLL_BY(n)
#endif

// Four int8 values from memory (any alignment) as one word.
inline uint32_t Load8x4(const int8_t* p) {
  uint32_t word;
  memcpy(&word, p, 4);
  return word;
}

// Copies / fills a compile-time number of bytes a word at a time (any alignment).
template <int32_t kCount>
__attribute__((always_inline)) inline void CopyBytes(int8_t* dst, const int8_t* src) {
  TINYFLASH_UNROLL
  for (int32_t i = 0; i + 4 <= kCount; i += 4) {
    const uint32_t word = Load8x4(src + i);
    memcpy(dst + i, &word, 4);
  }
  TINYFLASH_UNROLL
  for (int32_t i = kCount / 4 * 4; i < kCount; ++i) {
    dst[i] = src[i];
  }
}

template <int32_t kCount>
__attribute__((always_inline)) inline void FillBytes(int8_t* dst, int8_t value) {
  const uint32_t word = static_cast<uint8_t>(value) * UINT32_C(0x01010101);
  TINYFLASH_UNROLL
  for (int32_t i = 0; i + 4 <= kCount; i += 4) {
    memcpy(dst + i, &word, 4);
  }
  TINYFLASH_UNROLL
  for (int32_t i = kCount / 4 * 4; i < kCount; ++i) {
    dst[i] = value;
  }
}

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP

// Bytes 0 and 2 sign-extended into the low and high halfwords.
inline uint32_t Sxtb16(uint32_t x) { return __sxtb16(x); }

// Bytes 1 and 3 sign-extended into the low and high halfwords.
inline uint32_t Sxtb16Ror8(uint32_t x) {
  uint32_t result;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(result) : "r"(x));
  return result;
}

// acc + lo(a) * lo(b) + hi(a) * hi(b), halfwords signed.
inline int32_t Smlad(uint32_t a, uint32_t b, int32_t acc) { return __smlad(a, b, acc); }

// (a * b + 2^31) >> 32: the rounded high word of the product.
inline int32_t Smmulr(int32_t a, int32_t b) {
  int32_t result;
  __asm__("smmulr %0, %1, %2" : "=r"(result) : "r"(a), "r"(b));
  return result;
}

inline int32_t SaturateInt8(int32_t x) { return __ssat(x, 8); }

#else

inline uint32_t Sxtb16(uint32_t x) {
  const uint32_t lo = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(x & 0xFF))) & 0xFFFF;
  const uint32_t hi = static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>((x >> 16) & 0xFF)));
  return lo | (hi << 16);
}

inline uint32_t Sxtb16Ror8(uint32_t x) { return Sxtb16((x >> 8) | (x << 24)); }

inline int32_t Smlad(uint32_t a, uint32_t b, int32_t acc) {
  const int32_t lo = static_cast<int16_t>(a & 0xFFFF) * static_cast<int16_t>(b & 0xFFFF);
  const int32_t hi = static_cast<int16_t>(a >> 16) * static_cast<int16_t>(b >> 16);
  return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(lo) + static_cast<uint32_t>(hi));
}

inline int32_t Smmulr(int32_t a, int32_t b) {
  return static_cast<int32_t>((static_cast<int64_t>(a) * b + (INT64_C(1) << 31)) >> 32);
}

inline int32_t SaturateInt8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }

#endif

#endif  // TINYFLASH_AOT_DSP_SIMD_H_
