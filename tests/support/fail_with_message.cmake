# A ctest case that cannot run in CI: fails with MESSAGE (what is missing and how to install it).
# Run with cmake -P; see ctnn_check_missing_in_ci in tests/CMakeLists.txt.
message(FATAL_ERROR "${MESSAGE}")
