/* net.c - listening sockets for the HTTP servers (the deploy gateway,
 * mlops web): bound here rather than by libmicrohttpd, for a precise
 * error, for port 0, and to know whether the address is loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/net.h"
#include "core/xalloc.h"

int net_listen(const char *listen_on, char **url, struct mlops_err *err)
{
	char host[256];
	const char *colon = strrchr(listen_on, ':');
	struct addrinfo hints = { 0 }, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char port_s[16], addr_s[INET6_ADDRSTRLEN];
	int fd, one = 1, e;

	if (!colon || colon == listen_on || (size_t)(colon - listen_on) >=
	    sizeof(host))
		return mlops_err_set(err, MLOPS_EUSAGE, "--listen '%s': "
				     "expected HOST:PORT", listen_on);
	memcpy(host, listen_on, (size_t)(colon - listen_on));
	host[colon - listen_on] = '\0';
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	e = getaddrinfo(host, colon + 1, &hints, &ai);
	if (e != 0)
		return mlops_err_set(err, MLOPS_EUSAGE, "--listen '%s': %s",
				     listen_on, gai_strerror(e));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "socket");
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		e = errno;
		close(fd);
		freeaddrinfo(ai);
		return mlops_err_errno(err, e == EADDRINUSE ? MLOPS_ENOTFOUND :
				       MLOPS_EINTERNAL, e, "cannot listen on "
				       "%s", listen_on);
	}
	freeaddrinfo(ai);
	getsockname(fd, (struct sockaddr *)&ss, &sslen);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, addr_s, sizeof(addr_s));
		snprintf(port_s, sizeof(port_s), "%d", ntohs(a->sin6_port));
		*url = xasprintf("http://[%s]:%s", addr_s, port_s);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, addr_s, sizeof(addr_s));
		snprintf(port_s, sizeof(port_s), "%d", ntohs(a->sin_port));
		*url = xasprintf("http://%s:%s", addr_s, port_s);
	}
	return fd;
}

int net_is_loopback(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) &&
		       a->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}
