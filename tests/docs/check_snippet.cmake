# Checks that a Markdown file shows a source file verbatim, inside a ```cpp block, so that the
# code in the docs is the code that ctest compiles and runs. Run with cmake -P.
# Arguments: DOC (the Markdown file), SOURCE (the source file it must show).
file(READ ${DOC} doc)
file(READ ${SOURCE} source)
string(STRIP "${source}" source)
string(FIND "${doc}" "```cpp\n${source}\n```" at)
if(at EQUAL -1)
  get_filename_component(doc_name ${DOC} NAME)
  get_filename_component(source_name ${SOURCE} NAME)
  message(FATAL_ERROR "${doc_name} does not show ${source_name} verbatim in a ```cpp block: "
                      "copy ${SOURCE} into it again")
endif()
message(STATUS "${DOC} shows ${SOURCE} verbatim")
