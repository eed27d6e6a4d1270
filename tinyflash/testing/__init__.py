"""`tinyflash test`: prove on the device, vector by vector, that it computes what the model computes."""
