// The translation unit that builds the test programs' shared precompiled header
// (tests/CMakeLists.txt, CTNN_PRECOMPILE_TEST_HEADERS); it defines nothing.
