// asan_allocator_null.cpp — linked into the harnesses that reach libarchive: lets ASan answer NULL
// to a request no allocator can serve, as glibc does.
//
// libarchive's RAR5 reader (Debian's 3.6.2) asks malloc for a size read from a hostile header
// (0x60000000000000 bytes for the 731-byte input tests/data/fuzz/fuzz_objects/2b7d7f6f*) and
// copes with the NULL that glibc's malloc answers. ASan aborts on such a request instead, unless
// told to answer NULL as the real allocator does.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
