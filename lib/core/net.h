/* net.h - listening sockets for HTTP servers. */
#ifndef MLOPS_NET_H
#define MLOPS_NET_H
#include "core/err.h"

/* Bind and listen on listen_on, "HOST:PORT" (PORT 0: any free port),
 * and set *url to "http://ADDR:PORT" of the bound address (the caller
 * frees it). Returns the socket, or MLOPS_EUSAGE for a malformed
 * address, MLOPS_ENOTFOUND when the port is in use (a conflict),
 * MLOPS_EINTERNAL otherwise. */
int net_listen(const char *listen_on, char **url, struct mlops_err *err);
/* 1 when the socket fd is bound to a loopback address (127.0.0.0/8,
 * ::1), 0 otherwise (0.0.0.0 and :: included: they reach every
 * interface). */
int net_is_loopback(int fd);

#endif
