/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fuzzer of the devargs parser, mlx4r_parse_args() (mlx4r_devargs.c):
 * the input is the devargs string of a net_mlx4r vdev, as EAL hands it
 * to the probe. Besides the sanitizers, it checks that the parser
 * returns 0 or -EINVAL only, that whatever it accepts is within the
 * limits mlx4r_devargs.h documents, and that it is deterministic (a
 * second parse gives the same bytes).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mlx4r_devargs.h"
#include "emu/mlx4r_emu.h"

int
LLVMFuzzerInitialize(int *argc __attribute__((unused)),
		     char ***argv __attribute__((unused)))
{
	fuzz_quiet_logs();
	return 0;
}

static void
check_args(const struct mlx4r_args *a)
{
	const struct mlx4r_reset_args *r = &a->reset;
	unsigned int i;

	FUZZ_CHECK(a->nb_ports >= 1 && a->nb_ports <= MLX4R_MAX_PORTS,
		   "ports=%u", a->nb_ports);
	FUZZ_CHECK(a->backend == MLX4R_BACKEND_EMU ||
		   a->backend == MLX4R_BACKEND_VERBS, "backend %d", a->backend);
	FUZZ_CHECK(a->max_queues >= 1 && a->max_queues <= MLX4R_MAX_QUEUES,
		   "max_queues=%u", a->max_queues);
	FUZZ_CHECK(memchr(a->ibdev, '\0', sizeof(a->ibdev)) != NULL,
		   "ibdev not terminated");
	/* verbs always names a device (mlx4_0 by default), emu never */
	FUZZ_CHECK((a->ibdev[0] != '\0') == (a->backend == MLX4R_BACKEND_VERBS),
		   "ibdev \"%s\" with backend %d", a->ibdev, a->backend);
	FUZZ_CHECK(a->catas_time_pct <= 1000, "catas_time_pct=%u",
		   a->catas_time_pct);
	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		const struct mlx4r_port_args *p = &a->port[i];

		FUZZ_CHECK(p->wire <= MLX4R_WIRE_NONE, "wire%u %d", i + 1,
			   p->wire);
		FUZZ_CHECK(memchr(p->tap_name, '\0', sizeof(p->tap_name)) !=
			   NULL, "tap name of port %u not terminated", i + 1);
		FUZZ_CHECK(p->gen_rate <= (UINT64_C(1) << 40), "gen_rate");
		FUZZ_CHECK(p->gen_size >= MLX4R_EMU_GEN_MIN_FRAME &&
			   p->gen_size <= MLX4R_EMU_MAX_FRAME, "gen_size=%u",
			   p->gen_size);
		FUZZ_CHECK(p->gen_flows >= 1 &&
			   p->gen_flows <= MLX4R_EMU_GEN_MAX_FLOWS,
			   "gen_flows=%u", p->gen_flows);
		/* a cross-connect needs both ports on it */
		if (i < a->nb_ports && p->wire == MLX4R_WIRE_XCONNECT)
			FUZZ_CHECK(a->nb_ports == 2 &&
				   a->port[1 - i].wire == MLX4R_WIRE_XCONNECT,
				   "xconnect of port %u alone", i + 1);
	}
	FUZZ_CHECK(r->mode == MLX4R_RST_PASSIVE ||
		   r->mode == MLX4R_RST_PROACTIVE, "recovery %d", r->mode);
	FUZZ_CHECK(r->attempts >= 1 && r->attempts <= 100,
		   "recovery_attempts=%u", r->attempts);
	FUZZ_CHECK(r->deadline_ms >= 1 && r->deadline_ms <= 600000,
		   "reset_deadline_ms=%u", r->deadline_ms);
	FUZZ_CHECK(r->reappear_ms >= 1 && r->reappear_ms <= 600000,
		   "reinit_timeout_ms=%u", r->reappear_ms);
	FUZZ_CHECK(r->nb_sched <= MLX4R_FAULT_SCHED_MAX, "%u faults",
		   r->nb_sched);
	for (i = 0; i < r->nb_sched; i++)
		FUZZ_CHECK(r->sched[i].fault <= MLX4R_FAULT_MAX,
			   "fault %u of the schedule: %u", i,
			   r->sched[i].fault);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlx4r_args a, b;
	char *params = fuzz_cstr(data, size);
	int ret, ret2;

	ret = mlx4r_parse_args("net_mlx4r_fuzz", params, &a);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL, "returned %d", ret);
	if (ret == 0)
		check_args(&a);
	ret2 = mlx4r_parse_args("net_mlx4r_fuzz", params, &b);
	FUZZ_CHECK(ret2 == ret, "second parse returned %d, first %d", ret2,
		   ret);
	if (ret == 0)
		FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0,
			   "second parse differs");
	free(params);
	return 0;
}
