/* deploy.h - the verbs of mlops-deploy that live in their own files:
 * the gateway (serve, stop), the client (invoke) and capture reading. */
#ifndef MLOPS_CMD_DEPLOY_H
#define MLOPS_CMD_DEPLOY_H
#include "core/cli.h"

int cmd_serve(int argc, char **argv, struct cli *cli);
int cmd_stop(int argc, char **argv, struct cli *cli);
int cmd_invoke(int argc, char **argv, struct cli *cli);
int cmd_capture(int argc, char **argv, struct cli *cli);

extern const char usage_serve[], usage_stop[], usage_invoke[],
	usage_capture[];

#endif
