// The Armv7E-M DSP instructions the optimized kernels use: ACLE intrinsics (<arm_acle.h>) or inline assembly
// where the compiler targets the DSP extension, and portable C with the same results elsewhere, so the kernels'
// arithmetic can be checked on the host too.
#ifndef TINYFLASH_AOT_DSP_SIMD_H_
#define TINYFLASH_AOT_DSP_SIMD_H_

#include <stdint.h>
#include <string.h>

// GCC's <arm_acle.h> has the SIMD32 intrinsics since GCC 10; older ones (GCC 7 and 9 in some Arduino cores) get the
// same instructions through inline assembly, as do builds defining TINYFLASH_DSP_ASM (the tests check both).
#if defined(__ARM_FEATURE_DSP) && !defined(TINYFLASH_DSP_ASM) && (defined(__clang__) || __GNUC__ >= 10)
#include <arm_acle.h>
#define TINYFLASH_DSP_ACLE 1
#endif

// TINYFLASH_UNROLL fully unrolls the loop that follows (a compile-time trip count). Compilers without the pragma
// (GCC before 8) just run the loop.
#if defined(__clang__)
#define TINYFLASH_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && __GNUC__ >= 8
#define TINYFLASH_UNROLL _Pragma("GCC unroll 64")
#else
#define TINYFLASH_UNROLL
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

#if defined(TINYFLASH_DSP_ACLE)
// Bytes 0 and 2 sign-extended into the low and high halfwords.
inline uint32_t Sxtb16(uint32_t x) { return __sxtb16(x); }

// acc + lo(a) * lo(b) + hi(a) * hi(b), halfwords signed.
inline int32_t Smlad(uint32_t a, uint32_t b, int32_t acc) { return __smlad(a, b, acc); }

inline int32_t SaturateInt8(int32_t x) { return __ssat(x, 8); }
#else
inline uint32_t Sxtb16(uint32_t x) {
  uint32_t result;
  __asm__("sxtb16 %0, %1" : "=r"(result) : "r"(x));
  return result;
}

inline int32_t Smlad(uint32_t a, uint32_t b, int32_t acc) {
  int32_t result;
  __asm__("smlad %0, %1, %2, %3" : "=r"(result) : "r"(a), "r"(b), "r"(acc));
  return result;
}

inline int32_t SaturateInt8(int32_t x) {
  int32_t result;
  __asm__("ssat %0, #8, %1" : "=r"(result) : "r"(x));
  return result;
}
#endif

// Bytes 1 and 3 sign-extended into the low and high halfwords (no ACLE intrinsic takes the rotation).
inline uint32_t Sxtb16Ror8(uint32_t x) {
  uint32_t result;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(result) : "r"(x));
  return result;
}

// (a * b + 2^31) >> 32: the rounded high word of the product (no ACLE intrinsic).
inline int32_t Smmulr(int32_t a, int32_t b) {
  int32_t result;
  __asm__("smmulr %0, %1, %2" : "=r"(result) : "r"(a), "r"(b));
  return result;
}

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

// One row of kSize int8 values widened to int16 pairs as dsp/matmul_int8.h's ExpandRows does, (x0, x2), (x1, x3)
// per word; the last word's values past kSize are zero (the kernels pad their weights with zeros there too).
template <int32_t kSize>
__attribute__((always_inline)) inline void ExpandRowPadded(const int8_t* input, uint32_t* scratch) {
  int32_t k = 0;
  for (; k + 4 <= kSize; k += 4) {
    const uint32_t x = Load8x4(input + k);
    *scratch++ = Sxtb16(x);
    *scratch++ = Sxtb16Ror8(x);
  }
  if (k < kSize) {
    uint32_t x = 0;
    for (int32_t j = 0; k + j < kSize; ++j) {
      x |= static_cast<uint32_t>(static_cast<uint8_t>(input[k + j])) << (8 * j);
    }
    *scratch++ = Sxtb16(x);
    *scratch = Sxtb16Ror8(x);
  }
}

// Two channels' dot products with kDepth / 2 words of widened values (ExpandRowPadded's), added to acc0 and acc1;
// the weights are the channel pair interleaved per 4 values (dsp/matmul_int8.h's layout). Returns the next weights.
template <int32_t kDepth>
__attribute__((always_inline)) inline const int8_t* DotPair(const int8_t* w, const uint32_t* x, int32_t& acc0,
                                                            int32_t& acc1) {
  TINYFLASH_UNROLL
  for (int32_t k = 0; k < kDepth; k += 4) {
    const uint32_t w0 = Load8x4(w), w1 = Load8x4(w + 4);
    w += 8;
    const uint32_t xa = x[0], xb = x[1];
    x += 2;
    acc0 = Smlad(xa, Sxtb16(w0), acc0);
    acc0 = Smlad(xb, Sxtb16Ror8(w0), acc0);
    acc1 = Smlad(xa, Sxtb16(w1), acc1);
    acc1 = Smlad(xb, Sxtb16Ror8(w1), acc1);
  }
  return w;
}

#endif  // TINYFLASH_AOT_DSP_SIMD_H_
