/* identity.c - resolve the acting user; see identity.h for the order. */
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <git2.h>

#include "core/identity.h"
#include "core/xalloc.h"

static char *git_email(void)
{
	git_config *cfg = NULL;
	git_buf value = { 0 };
	char *email = NULL;

	git_libgit2_init();
	if (git_config_open_default(&cfg) == 0 &&
	    git_config_get_string_buf(&value, cfg, "user.email") == 0 &&
	    value.ptr && *value.ptr)
		email = xstrdup(value.ptr);
	git_buf_dispose(&value);
	git_config_free(cfg);
	git_libgit2_shutdown();
	return email;
}

char *identity_user(void)
{
	const char *env = getenv("MLOPS_USER");
	struct passwd *pw;
	char *user;

	if (env && *env)
		return xstrdup(env);
	user = git_email();
	if (user)
		return user;
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		return xstrdup(pw->pw_name);
	return xasprintf("uid:%ld", (long)geteuid());
}
