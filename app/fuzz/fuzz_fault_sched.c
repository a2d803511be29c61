/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fuzzer of the fault schedule, the value of devarg fault=
 * ("<fault>[/<arg>]@<ms>[:...]", mlx4r_fault.c mlx4r_fault_parse_sched)
 * and of the fault names (mlx4r_fault_parse, shared with telemetry's
 * /mlx4r/inject). Checks, besides the sanitizers: 0 or -EINVAL only; an
 * accepted schedule has 1..MLX4R_FAULT_SCHED_MAX entries of known faults;
 * it round-trips (printed back in canonical form it parses to the same
 * entries); a name that parses prints back as itself.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mlx4r_devargs.h"
#include "mlx4r_fault.h"

int
LLVMFuzzerInitialize(int *argc __attribute__((unused)),
		     char ***argv __attribute__((unused)))
{
	fuzz_quiet_logs();
	return 0;
}

/* The canonical text of a schedule. */
static void
print_sched(const struct mlx4r_reset_args *ra, char *buf, size_t size)
{
	size_t off = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < ra->nb_sched && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s/%u@%u",
				i > 0 ? ":" : "",
				mlx4r_fault_name(ra->sched[i].fault),
				ra->sched[i].arg, ra->sched[i].at_ms);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlx4r_reset_args ra, rb;
	char *value = fuzz_cstr(data, size);
	char canon[1024];
	uint32_t fault, i;
	int ret;

	mlx4r_reset_args_default(&ra);
	ret = mlx4r_fault_parse_sched(value, &ra);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "returned %d", ret);
	if (ret == 0) {
		FUZZ_CHECK(ra.nb_sched >= 1 &&
			   ra.nb_sched <= MLX4R_FAULT_SCHED_MAX, "%u entries",
			   ra.nb_sched);
		for (i = 0; i < ra.nb_sched; i++)
			FUZZ_CHECK(ra.sched[i].fault <= MLX4R_FAULT_MAX &&
				   strcmp(mlx4r_fault_name(ra.sched[i].fault),
					  "?") != 0, "entry %u: fault %u", i,
				   ra.sched[i].fault);
		print_sched(&ra, canon, sizeof(canon));
		mlx4r_reset_args_default(&rb);
		ret = mlx4r_fault_parse_sched(canon, &rb);
		FUZZ_CHECK(ret == 0, "canonical \"%s\" refused", canon);
		FUZZ_CHECK(rb.nb_sched == ra.nb_sched &&
			   memcmp(rb.sched, ra.sched,
				  ra.nb_sched * sizeof(ra.sched[0])) == 0,
			   "\"%s\" does not round-trip", canon);
	}
	/* the same bytes as a fault name (telemetry's /mlx4r/inject) */
	if (mlx4r_fault_parse(value, &fault) == 0)
		FUZZ_CHECK(strcmp(mlx4r_fault_name(fault), value) == 0,
			   "name %u is \"%s\", parsed from \"%s\"", fault,
			   mlx4r_fault_name(fault), value);
	free(value);
	return 0;
}
