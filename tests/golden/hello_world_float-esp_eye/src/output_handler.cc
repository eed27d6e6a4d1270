// Breathes the ESP-EYE's red LED (GPIO21) with the sine wave through the LEDC PWM
// peripheral (duty = 127.5 * (y + 1) of 255) and logs each prediction over serial.
#include "output_handler.h"

#include "driver/ledc.h"
#include "serial_line.h"

namespace {

constexpr gpio_num_t kRedLed = GPIO_NUM_21;
constexpr ledc_mode_t kMode = LEDC_LOW_SPEED_MODE;
constexpr ledc_channel_t kChannel = LEDC_CHANNEL_0;
constexpr ledc_timer_t kTimer = LEDC_TIMER_0;
constexpr uint32_t kPwmHz = 5000;  // well above flicker, and 8-bit resolution is available at it

void InitLed() {
  ledc_timer_config_t timer = {};
  timer.speed_mode = kMode;
  timer.duty_resolution = LEDC_TIMER_8_BIT;
  timer.timer_num = kTimer;
  timer.freq_hz = kPwmHz;
  timer.clk_cfg = LEDC_AUTO_CLK;
  ledc_timer_config(&timer);
  ledc_channel_config_t channel = {};
  channel.gpio_num = kRedLed;
  channel.speed_mode = kMode;
  channel.channel = kChannel;
  channel.timer_sel = kTimer;
  channel.duty = 0;
  ledc_channel_config(&channel);
}

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  if (!initialized) {
    InitLed();
    initialized = true;
  }
  int brightness = static_cast<int>(127.5f * (y_value + 1.0f));
  brightness = brightness < 0 ? 0 : (brightness > 255 ? 255 : brightness);
  ledc_set_duty(kMode, kChannel, static_cast<uint32_t>(brightness));
  ledc_update_duty(kMode, kChannel);
  SerialLine()
      .Text("x_value: ")
      .Float(x_value)
      .Text(" y_value: ")
      .Float(y_value)
      .Text(" brightness: ")
      .Int(brightness)
      .Send();
}
