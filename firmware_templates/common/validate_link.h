// The device side of tinyflash's validate protocol (docs/validate-protocol.md): frames from bytes as they
// arrive, and frames out through board_write. One frame in and one reply out are held in RAM, nothing more.
#ifndef TINYFLASH_VALIDATE_LINK_H_
#define TINYFLASH_VALIDATE_LINK_H_

#include <stddef.h>
#include <stdint.h>

namespace validate {

constexpr uint8_t kProtocolVersion = 1;
constexpr uint16_t kMaxPayload = 512;

enum Type : uint8_t {
  kHello = 0x01,
  kLoad = 0x02,
  kRun = 0x03,
  kRead = 0x04,
  kEnd = 0x05,
  kInfo = 0x81,
  kAck = 0x82,
  kResult = 0x83,
  kOutput = 0x84,
  kSummary = 0x85,
  kNak = 0x8F,
};

enum NakReason : uint8_t { kBadCrc = 1, kUnknownType = 2, kOutOfRange = 3, kNotReady = 4 };

// IEEE 802.3 CRC-32 (as zlib's crc32), continued from `crc`.
uint32_t Crc32(const void* data, size_t length, uint32_t crc = 0);

struct Frame {
  uint8_t type;
  uint8_t seq;
  uint16_t length;
  uint8_t payload[kMaxPayload];
};

// Feed it every received byte. It looks for the start marker, reads one frame and checks its CRC; anything
// between frames (noise) is skipped, and a header claiming more than kMaxPayload restarts the search.
class FrameReader {
 public:
  enum class Event { kNone, kFrame, kBadCrc };
  Event Push(uint8_t byte);
  // The last frame: complete after kFrame; after kBadCrc only its sequence number is meaningful.
  const Frame& frame() const { return frame_; }

 private:
  enum class State { kMarker0, kMarker1, kType, kSeq, kLength0, kLength1, kPayload, kCrc };
  State state_ = State::kMarker0;
  Frame frame_{};
  size_t received_ = 0;
  uint32_t crc_ = 0;
};

// A reply being built: little-endian fields appended to a payload, then sent as one frame.
class Reply {
 public:
  Reply(uint8_t type, uint8_t seq) : type_(type), seq_(seq) {}
  Reply& U8(uint8_t value);
  Reply& U16(uint16_t value);
  Reply& U32(uint32_t value);
  Reply& I32(int32_t value) { return U32(static_cast<uint32_t>(value)); }
  Reply& F32(float value);
  Reply& Bytes(const void* data, size_t length);
  // Bytes still free in the payload.
  size_t Room() const { return kMaxPayload - length_; }
  // Writes marker, header, payload and CRC; `corrupt_crc` is for the fault-injection builds only.
  void Send(bool corrupt_crc = false);

 private:
  uint8_t type_;
  uint8_t seq_;
  uint16_t length_ = 0;
  uint8_t payload_[kMaxPayload];
};

// Little-endian fields of a received payload, bounds-checked: reading past the end yields zeros and
// sets ok() to false.
class Fields {
 public:
  explicit Fields(const Frame& frame) : data_(frame.payload), length_(frame.length) {}
  uint8_t U8();
  uint16_t U16();
  uint32_t U32();
  const uint8_t* Rest(size_t* length);
  bool ok() const { return ok_; }

 private:
  const uint8_t* data_;
  size_t length_;
  size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace validate

#endif  // TINYFLASH_VALIDATE_LINK_H_
