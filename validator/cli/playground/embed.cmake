# embed.cmake — cmake -DOUT=file.c -DDIR=playground/ -P embed.cmake: write
# the playground's files into a C source as byte arrays (serve_playground.c
# reads them as pg_files[]), so the binary serves its page with no file
# access. Text files are ASCII or UTF-8; each array ends with a NUL that
# is not counted, so a file is also a C string.
# path|file|media type; every one is UTF-8 text (the charset is added below,
# as a ';' would split the CMake list).
set(files "/|index.html|text/html" "/playground.js|playground.js|text/javascript"
          "/playground.css|playground.css|text/css")
set(src "/* Generated from validator/cli/playground/ by embed.cmake: do not edit. */\n")
string(APPEND src "#include <stddef.h>\n\nstruct pg_file {\n    const char *path;\n    const char *ctype;\n    const unsigned char *data;\n    size_t len;\n};\n\n")
set(table "")
set(i 0)
foreach(entry IN LISTS files)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 path)
  list(GET parts 1 name)
  list(GET parts 2 ctype)
  file(READ "${DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" nhex)
  math(EXPR len "${nhex} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  # 16 bytes a line keeps the generated file readable in a diff or an error.
  string(REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
  string(APPEND src "static const unsigned char f${i}[] = {\n    ${bytes}0x00};\n")
  string(APPEND table "    {\"${path}\", \"${ctype}; charset=utf-8\", f${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND src "\nextern const struct pg_file pg_files[];\nconst struct pg_file pg_files[] = {\n${table}    {NULL, NULL, NULL, 0},\n};\n")
file(WRITE "${OUT}" "${src}")
