#ifndef GLACIERFS_COPENSSL_SHIM_H
#define GLACIERFS_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#endif
