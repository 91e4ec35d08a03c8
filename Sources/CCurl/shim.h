#ifndef GLACIERFS_CCURL_SHIM_H
#define GLACIERFS_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt/getinfo are variadic, which Swift cannot call. These wrappers pass exactly the
// type libcurl reads for each option kind: long, curl_off_t, or a pointer.
static inline CURLcode glfs_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode glfs_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode glfs_easy_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode glfs_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }

typedef size_t (*glfs_data_callback)(char *, size_t, size_t, void *);
static inline CURLcode glfs_easy_setopt_data_cb(CURL *h, CURLoption o, glfs_data_callback cb) { return curl_easy_setopt(h, o, cb); }

static inline CURLcode glfs_easy_getinfo_long(CURL *h, CURLINFO i, long *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode glfs_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *out) { return curl_easy_getinfo(h, i, out); }
static inline CURLcode glfs_easy_getinfo_ptr(CURL *h, CURLINFO i, void **out) { return curl_easy_getinfo(h, i, out); }

static inline CURLMcode glfs_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLSHcode glfs_share_setopt_long(CURLSH *s, CURLSHoption o, long v) { return curl_share_setopt(s, o, v); }

// A write callback's "keep these bytes, hand them again after curl_easy_pause(CONT)" answer, and
// that call: both are macros Swift does not import.
static const size_t glfs_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static inline CURLcode glfs_easy_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }
#endif
