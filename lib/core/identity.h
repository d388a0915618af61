/* identity.h - who is acting: $MLOPS_USER, else git's user.email (read
 * with libgit2 from the usual git configuration files), else the login
 * name. Audit records and approvals carry it. */
#ifndef MLOPS_IDENTITY_H
#define MLOPS_IDENTITY_H

/* The acting user; never NULL. The caller frees the result. */
char *identity_user(void);

#endif
