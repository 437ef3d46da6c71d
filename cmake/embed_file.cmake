# Writes a C++ source that defines a byte array with a file's content:
#   cmake -DINPUT=f.bc -DOUTPUT=f.cpp -DSYMBOL=name -P embed_file.cmake
# defines `extern "C" const unsigned char name[]` and `extern "C" const unsigned long name_size`.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by cmake/embed_file.cmake: do not edit.\n"
  "extern \"C\" const unsigned char ${SYMBOL}[] = {\n${bytes}\n};\n"
  "extern \"C\" const unsigned long ${SYMBOL}_size = ${size};\n")
