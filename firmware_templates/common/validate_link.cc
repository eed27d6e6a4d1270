// The validate protocol's framing on the device. See validate_link.h and docs/validate-protocol.md.
#include "validate_link.h"

#include <string.h>

#include "tinyflash_board.h"

namespace validate {
namespace {

constexpr uint8_t kMarker[2] = {0xA5, 0x5A};

// CRC-32 four bits at a time: a 64-byte table instead of 1 KB, fast enough for a serial line.
constexpr uint32_t kNibbleTable[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4, 0x4DB26158, 0x5005713C,
    0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C, 0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

uint32_t CrcByte(uint32_t crc, uint8_t byte) {
  crc ^= byte;
  crc = (crc >> 4) ^ kNibbleTable[crc & 0x0F];
  return (crc >> 4) ^ kNibbleTable[crc & 0x0F];
}

}  // namespace

uint32_t Crc32(const void* data, size_t length, uint32_t crc) {
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < length; ++i) {
    crc = CrcByte(crc, bytes[i]);
  }
  return ~crc;
}

FrameReader::Event FrameReader::Push(uint8_t byte) {
  switch (state_) {
    case State::kMarker0:
      if (byte == kMarker[0]) {
        state_ = State::kMarker1;
      }
      return Event::kNone;
    case State::kMarker1:
      state_ = byte == kMarker[1] ? State::kType : (byte == kMarker[0] ? State::kMarker1 : State::kMarker0);
      return Event::kNone;
    case State::kType:
      frame_.type = byte;
      crc_ = CrcByte(0xFFFFFFFFu, byte);
      state_ = State::kSeq;
      return Event::kNone;
    case State::kSeq:
      frame_.seq = byte;
      crc_ = CrcByte(crc_, byte);
      state_ = State::kLength0;
      return Event::kNone;
    case State::kLength0:
      frame_.length = byte;
      crc_ = CrcByte(crc_, byte);
      state_ = State::kLength1;
      return Event::kNone;
    case State::kLength1:
      frame_.length = static_cast<uint16_t>(frame_.length | (byte << 8));
      crc_ = CrcByte(crc_, byte);
      received_ = 0;
      if (frame_.length > kMaxPayload) {
        state_ = State::kMarker0;  // not a frame this device could have been sent: noise
      } else {
        state_ = frame_.length ? State::kPayload : State::kCrc;
      }
      return Event::kNone;
    case State::kPayload:
      frame_.payload[received_++] = byte;
      crc_ = CrcByte(crc_, byte);
      if (received_ == frame_.length) {
        state_ = State::kCrc;
        received_ = 0;
      }
      return Event::kNone;
    case State::kCrc: {
      // The CRC arrives little-endian; compare it byte by byte with ours.
      const uint32_t expected = ~crc_;
      if (byte != static_cast<uint8_t>(expected >> (8 * received_))) {
        state_ = State::kMarker0;
        return Event::kBadCrc;
      }
      if (++received_ < 4) {
        return Event::kNone;
      }
      state_ = State::kMarker0;
      return Event::kFrame;
    }
  }
  return Event::kNone;
}

Reply& Reply::U8(uint8_t value) { return Bytes(&value, 1); }

Reply& Reply::U16(uint16_t value) {
  const uint8_t bytes[2] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8)};
  return Bytes(bytes, sizeof bytes);
}

Reply& Reply::U32(uint32_t value) {
  const uint8_t bytes[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                            static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
  return Bytes(bytes, sizeof bytes);
}

Reply& Reply::F32(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  return U32(bits);
}

Reply& Reply::Bytes(const void* data, size_t length) {
  const size_t fits = length < Room() ? length : Room();
  memcpy(payload_ + length_, data, fits);
  length_ = static_cast<uint16_t>(length_ + fits);
  return *this;
}

void Reply::Send(bool corrupt_crc) {
  uint8_t header[6] = {kMarker[0], kMarker[1], type_, seq_, static_cast<uint8_t>(length_),
                       static_cast<uint8_t>(length_ >> 8)};
  uint32_t crc = Crc32(header + 2, 4);
  crc = Crc32(payload_, length_, crc);
  if (corrupt_crc) {
    crc ^= 1u;
  }
  const uint8_t trailer[4] = {static_cast<uint8_t>(crc), static_cast<uint8_t>(crc >> 8),
                              static_cast<uint8_t>(crc >> 16), static_cast<uint8_t>(crc >> 24)};
  board_write(reinterpret_cast<const char*>(header), sizeof header);
  board_write(reinterpret_cast<const char*>(payload_), length_);
  board_write(reinterpret_cast<const char*>(trailer), sizeof trailer);
}

uint8_t Fields::U8() {
  if (offset_ + 1 > length_) {
    ok_ = false;
    return 0;
  }
  return data_[offset_++];
}

uint16_t Fields::U16() {
  const uint16_t low = U8();
  return static_cast<uint16_t>(low | (U8() << 8));
}

uint32_t Fields::U32() {
  const uint32_t low = U16();
  return low | (static_cast<uint32_t>(U16()) << 16);
}

const uint8_t* Fields::Rest(size_t* length) {
  *length = length_ - offset_;
  const uint8_t* rest = data_ + offset_;
  offset_ = length_;
  return rest;
}

}  // namespace validate
