/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "fuzz_common.h"

void
fuzz_quiet_logs(void)
{
	if (getenv("MLX4R_FUZZ_LOG") == NULL)
		rte_log_set_global_level(RTE_LOG_CRIT);
}

void
fuzz_eal_init(const char *prog, const char *const *extra,
	      unsigned int nb_extra)
{
	static const char * const base[] = {
		"--no-huge", "-m", "128", "--no-pci", "--no-shconf",
		"--no-telemetry", "-l", "0", "--log-level=lib.eal:error",
	};
	char *argv[RTE_DIM(base) + 16];
	unsigned int i, argc = 0;

	if (nb_extra > 16 - 1) {
		fprintf(stderr, "%s: too many EAL arguments\n", prog);
		exit(1);
	}
	argv[argc++] = (char *)(uintptr_t)prog;
	for (i = 0; i < RTE_DIM(base); i++)
		argv[argc++] = (char *)(uintptr_t)base[i];
	for (i = 0; i < nb_extra; i++)
		argv[argc++] = (char *)(uintptr_t)extra[i];
	argv[argc] = NULL;
	if (rte_eal_init((int)argc, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init: %s\n", prog,
			rte_strerror(rte_errno));
		exit(1);
	}
	fuzz_quiet_logs();
}

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL) {
		fprintf(stderr, "fuzz: out of memory\n");
		exit(1);
	}
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
