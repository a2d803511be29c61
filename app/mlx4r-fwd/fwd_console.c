/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The interactive console (-i), on DPDK's cmdline library, polled from
 * the main lcore's loop (poll(2) on standard input, then cmdline_in(): the
 * cmdline_poll() of DPDK 22.11 is gone in 24.11) so that the schedule, the
 * timeline and the console share one thread:
 *   show stats | reset <port> | fault <port> <kind> [<arg>] | quit | help
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>
#include <rte_common.h>
#include <rte_errno.h>

#include "fwd.h"

static struct cmdline *fwd_cl;

/* show stats */
struct cmd_show_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t stats;
};

static void
cmd_show_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(res);
	RTE_SET_USED(cl);
	fwd_stats_show(data, stdout);
}

static cmdline_parse_token_string_t cmd_show_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_result, show, "show");
static cmdline_parse_token_string_t cmd_show_stats =
	TOKEN_STRING_INITIALIZER(struct cmd_show_result, stats, "stats");

static cmdline_parse_inst_t cmd_show = {
	.f = cmd_show_parsed,
	.data = &fwd,
	.help_str = "show stats: counters and reset state of every port",
	.tokens = { (void *)&cmd_show_show, (void *)&cmd_show_stats, NULL },
};

/* reset <port> */
struct cmd_reset_result {
	cmdline_fixed_string_t reset;
	uint16_t port;
};

static void
cmd_reset_parsed(void *res, struct cmdline *cl, void *data)
{
	struct cmd_reset_result *r = res;
	int ret;

	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	ret = fwd_act(r->port, FWD_ACT_RESET, 0, "console reset");
	printf("reset port %u: %s\n", r->port,
	       ret == 0 ? "requested" : rte_strerror(-ret));
}

static cmdline_parse_token_string_t cmd_reset_reset =
	TOKEN_STRING_INITIALIZER(struct cmd_reset_result, reset, "reset");
static cmdline_parse_token_num_t cmd_reset_port =
	TOKEN_NUM_INITIALIZER(struct cmd_reset_result, port, RTE_UINT16);

static cmdline_parse_inst_t cmd_reset = {
	.f = cmd_reset_parsed,
	.help_str = "reset <port>: ask the driver for a reset of the port's HCA",
	.tokens = { (void *)&cmd_reset_reset, (void *)&cmd_reset_port, NULL },
};

/* fault <port> <kind> [<arg>] */
struct cmd_fault_result {
	cmdline_fixed_string_t fault;
	uint16_t port;
	cmdline_fixed_string_t kind;
	uint32_t arg;
};

static void
cmd_fault_do(struct cmd_fault_result *r, uint32_t arg)
{
	int action, ret;

	if (fwd_action_parse(r->kind, &action) != 0) {
		printf("unknown fault %s\n", r->kind);
		return;
	}
	ret = fwd_act(r->port, action, arg, "console fault");
	printf("%s on port %u: %s\n", r->kind, r->port,
	       ret == 0 ? "injected" : rte_strerror(-ret));
}

static void
cmd_fault_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	cmd_fault_do(res, ((struct cmd_fault_result *)res)->arg);
}

static void
cmd_fault0_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	cmd_fault_do(res, 0);
}

static cmdline_parse_token_string_t cmd_fault_fault =
	TOKEN_STRING_INITIALIZER(struct cmd_fault_result, fault, "fault");
static cmdline_parse_token_num_t cmd_fault_port =
	TOKEN_NUM_INITIALIZER(struct cmd_fault_result, port, RTE_UINT16);
static cmdline_parse_token_string_t cmd_fault_kind =
	TOKEN_STRING_INITIALIZER(struct cmd_fault_result, kind,
		"fatal#cmd-fail#cmd-timeout#reinit-fail#fw-slow#link-flap#qp-error#lost-doorbell#reset");
static cmdline_parse_token_num_t cmd_fault_arg =
	TOKEN_NUM_INITIALIZER(struct cmd_fault_result, arg, RTE_UINT32);

static cmdline_parse_inst_t cmd_fault = {
	.f = cmd_fault_parsed,
	.help_str = "fault <port> <kind> <arg>: inject a fault",
	.tokens = { (void *)&cmd_fault_fault, (void *)&cmd_fault_port,
		    (void *)&cmd_fault_kind, (void *)&cmd_fault_arg, NULL },
};

static cmdline_parse_inst_t cmd_fault0 = {
	.f = cmd_fault0_parsed,
	.help_str = "fault <port> <kind>: inject a fault (default argument)",
	.tokens = { (void *)&cmd_fault_fault, (void *)&cmd_fault_port,
		    (void *)&cmd_fault_kind, NULL },
};

/* quit | help */
struct cmd_word_result {
	cmdline_fixed_string_t word;
};

static void
cmd_quit_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(res);
	RTE_SET_USED(data);
	fwd.quit = true;
	cmdline_quit(cl);
}

static cmdline_parse_token_string_t cmd_quit_word =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word, "quit");

static cmdline_parse_inst_t cmd_quit = {
	.f = cmd_quit_parsed,
	.help_str = "quit: stop forwarding, print the report",
	.tokens = { (void *)&cmd_quit_word, NULL },
};

static void
cmd_help_parsed(void *res, struct cmdline *cl, void *data)
{
	RTE_SET_USED(res);
	RTE_SET_USED(cl);
	RTE_SET_USED(data);
	printf("show stats                  counters and reset state per port\n"
	       "reset <port>                reset the port's HCA (driver request)\n"
	       "fault <port> <kind> [<arg>] inject: fatal cmd-fail cmd-timeout\n"
	       "                            reinit-fail fw-slow link-flap qp-error\n"
	       "                            lost-doorbell\n"
	       "quit                        stop, drain, print the report\n");
}

static cmdline_parse_token_string_t cmd_help_word =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word, "help");

static cmdline_parse_inst_t cmd_help = {
	.f = cmd_help_parsed,
	.help_str = "help: the commands",
	.tokens = { (void *)&cmd_help_word, NULL },
};

static cmdline_parse_ctx_t fwd_ctx[] = {
	(cmdline_parse_inst_t *)&cmd_show,
	(cmdline_parse_inst_t *)&cmd_reset,
	(cmdline_parse_inst_t *)&cmd_fault,
	(cmdline_parse_inst_t *)&cmd_fault0,
	(cmdline_parse_inst_t *)&cmd_quit,
	(cmdline_parse_inst_t *)&cmd_help,
	NULL,
};

int
fwd_console_init(struct fwd_app *a)
{
	RTE_SET_USED(a);
	fwd_cl = cmdline_stdin_new(fwd_ctx, "mlx4r-fwd> ");
	if (fwd_cl == NULL) {
		fprintf(stderr, "cannot open the console\n");
		return -1;
	}
	return 0;
}

void
fwd_console_poll(struct fwd_app *a)
{
	if (fwd_cl == NULL)
		return;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;
	ssize_t n;

	/*
	 * What is there now, one character at a time as the console echoes
	 * it. End of input (a pipe closed, ^D) ends the run like quit;
	 * cmdline_in() fails once quit ended the console (RDLINE_RES_EXITED)
	 * or on ^D (RDLINE_RES_EOF), lib/cmdline/cmdline.c.
	 */
	while (!a->quit && poll(&pfd, 1, 0) > 0) {
		if ((pfd.revents & POLLIN) == 0) {
			/* POLLHUP/POLLERR with nothing to read: input is over */
			a->quit = true;
			break;
		}
		n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		if (n <= 0 || cmdline_in(fwd_cl, &c, 1) < 0)
			a->quit = true;
	}
}

void
fwd_console_free(struct fwd_app *a)
{
	RTE_SET_USED(a);
	if (fwd_cl == NULL)
		return;
	cmdline_stdin_exit(fwd_cl);
	fwd_cl = NULL;
}
