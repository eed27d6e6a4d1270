"""SCons build script for tinyflash's virtual boards (run by PlatformIO, not imported by tinyflash).

Cortex-M boards build with Debian's arm-none-eabi GCC and newlib-nano against our own startup code,
UART driver and linker scripts; `upload` runs the firmware under QEMU with the serial port on stdio.
The native board builds a host executable with the system compiler; `upload` runs it. Every board puts the
platform's include/ (tinyflash_board.h, the glue apps call) on the include path.
"""

from os.path import join

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
kind = board.get("build.kind")
runtime = join(platform.get_dir(), "runtime")

# tinyflash_board.h: the glue every app uses; on the path so a project needs no copy of its own.
env.Append(CPPPATH=[join(platform.get_dir(), "include")])
# PlatformIO's "RAM: / Flash:" summary: flash = text + data, RAM = data + bss (the stack is checked by the linker).
env.Replace(SIZECHECKCMD="$SIZETOOL -B -d $SOURCES", SIZEPROGREGEXP=r"^(\d+)\s+(\d+)\s+\d+\s",
            SIZEDATAREGEXP=r"^\d+\s+(\d+)\s+(\d+)\s+\d+")

common = ["-O2", "-ffunction-sections", "-fdata-sections", "-Wall"]
cxx_only = ["-std=gnu++17", "-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics", "-fno-use-cxa-atexit"]

if kind == "qemu":
    cpu = ["-mcpu=%s" % board.get("build.cpu"), "-mthumb", "-mfloat-abi=hard", "-mfpu=%s" % board.get("build.fpu")]
    env.Replace(
        AR="arm-none-eabi-ar",
        AS="arm-none-eabi-gcc",
        CC="arm-none-eabi-gcc",
        CXX="arm-none-eabi-g++",
        LINK="arm-none-eabi-g++",
        OBJCOPY="arm-none-eabi-objcopy",
        RANLIB="arm-none-eabi-ranlib",
        SIZETOOL="arm-none-eabi-size",
        PROGNAME="firmware",
        PROGSUFFIX=".elf",
        LDSCRIPT_PATH=join(platform.get_dir(), "ldscripts", board.get("build.ldscript")),
        UPLOADCMD=(
            "qemu-system-arm -M %s -nographic -monitor none -serial stdio -semihosting-config enable=on,target=native "
            "-icount shift=0,align=off,sleep=off -kernel $SOURCE" % board.get("build.qemu_machine")
        ),
    )
    env.Append(
        ASFLAGS=cpu,
        CCFLAGS=cpu + common,
        CFLAGS=["-std=gnu11"],
        CXXFLAGS=cxx_only,
        CPPDEFINES=["NDEBUG"],
        LINKFLAGS=cpu
        + [
            "--specs=nano.specs",
            "--specs=nosys.specs",
            "-nostartfiles",
            "-Wl,--gc-sections",
            # Substituted now, so a path with spaces stays one argument (SCons quotes list items as a whole).
            "-Wl,-Map," + env.subst(join("$BUILD_DIR", "firmware.map")),
        ],
        LIBPATH=[join(platform.get_dir(), "ldscripts")],
        LIBS=["m"],
    )
    env.BuildSources(join("$BUILD_DIR", "tinyflash_runtime"), join(runtime, "cortex_m"))
elif kind == "host":
    env.Replace(CC="gcc", CXX="g++", LINK="g++", AR="ar", RANLIB="ranlib", SIZETOOL="size", PROGNAME="firmware",
                UPLOADCMD="$SOURCE")
    env.Append(CCFLAGS=common, CFLAGS=["-std=gnu11"], CXXFLAGS=cxx_only, CPPDEFINES=["NDEBUG"],
               LINKFLAGS=["-Wl,--gc-sections"], LIBS=["m"])
    env.BuildSources(join("$BUILD_DIR", "tinyflash_runtime"), join(runtime, "host"))
else:
    raise SystemExit("tinyflash-virtual: board %s has unknown build.kind %r" % (env.subst("$BOARD"), kind))

program = env.BuildProgram()
AlwaysBuild(env.Alias("size", program, env.VerboseAction("$SIZETOOL -B -d $SOURCES", "Calculating size")))
AlwaysBuild(env.Alias("upload", program, env.VerboseAction("$UPLOADCMD", "Running $SOURCE")))
Default([program])
