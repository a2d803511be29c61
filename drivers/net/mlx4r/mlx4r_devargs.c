/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Devargs of a net_mlx4r vdev: the keys of mlx4r_devargs.h parsed into a
 * struct mlx4r_args, with one log line naming the key and the value of
 * anything refused. Reset keys (recovery, recovery_attempts, ...) and the
 * fault schedule (mlx4r_fault.c) included.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>

#include <rte_common.h>
#include <rte_kvargs.h>
#include <rte_string_fns.h>

#include "mlx4r.h"
#include "mlx4r_devargs.h"
#include "mlx4r_fault.h"
#include "emu/mlx4r_emu.h"

/* rdma-core's name of the first ConnectX-3 of a machine */
#define MLX4R_DEFAULT_IBDEV "mlx4_0"

/* Keys that take an optional port suffix: wire=..., wire1=..., wire2=... */
static const char * const mlx4r_port_args[] = {
	MLX4R_ARG_WIRE,
	MLX4R_ARG_GEN_RATE,
	MLX4R_ARG_GEN_SIZE,
	MLX4R_ARG_GEN_FLOWS,
	MLX4R_ARG_GEN_DPORT,
};

static const char * const mlx4r_backend_names[] = {
	[MLX4R_BACKEND_EMU] = "emu",
	[MLX4R_BACKEND_VERBS] = "verbs",
};

static const char * const mlx4r_wire_names[] = {
	[MLX4R_WIRE_GEN] = "gen",
	[MLX4R_WIRE_XCONNECT] = "xconnect",
	[MLX4R_WIRE_LOOPBACK] = "loopback",
	[MLX4R_WIRE_TAP] = "tap",
	[MLX4R_WIRE_NONE] = "none",
};

#define MLX4R_VALID_ARGS "ports, backend, ibdev, max_queues, wire[1|2], " \
	"gen_rate[1|2], gen_size[1|2], gen_flows[1|2], gen_dport[1|2], " \
	"recovery, " \
	"recovery_attempts, reset_deadline_ms, reinit_timeout_ms, fault, " \
	"catas_time_pct, model, engine, engine_cpu"

const char *
mlx4r_backend_name(enum mlx4r_backend b)
{
	return (unsigned int)b < RTE_DIM(mlx4r_backend_names) ?
	       mlx4r_backend_names[b] : "?";
}

const char *
mlx4r_wire_name(enum mlx4r_wire w)
{
	return (unsigned int)w < RTE_DIM(mlx4r_wire_names) ?
	       mlx4r_wire_names[w] : "?";
}

void
mlx4r_reset_args_default(struct mlx4r_reset_args *ra)
{
	memset(ra, 0, sizeof(*ra));
	ra->mode = MLX4R_RST_PROACTIVE;
	ra->attempts = 3;
	ra->deadline_ms = 1000;
	ra->reappear_ms = 5000;
}

/* -ENOENT: not a reset key; -EINVAL: a bad value (logged). */
int
mlx4r_reset_parse_arg(const char *key, const char *value,
		      struct mlx4r_reset_args *ra)
{
	uint64_t v, max;

	if (value == NULL)
		value = "";
	if (strcmp(key, MLX4R_ARG_RECOVERY) == 0) {
		if (strcmp(value, "passive") == 0) {
			ra->mode = MLX4R_RST_PASSIVE;
		} else if (strcmp(value, "proactive") == 0) {
			ra->mode = MLX4R_RST_PROACTIVE;
		} else {
			INIT_LOG(ERR, "devarg %s=%s: expected passive or proactive",
				 key, value);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, MLX4R_ARG_FAULT) == 0)
		return mlx4r_fault_parse_sched(value, ra);
	if (strcmp(key, MLX4R_ARG_ATTEMPTS) != 0 &&
	    strcmp(key, MLX4R_ARG_DEADLINE) != 0 &&
	    strcmp(key, MLX4R_ARG_REAPPEAR) != 0)
		return -ENOENT;
	max = strcmp(key, MLX4R_ARG_ATTEMPTS) == 0 ? 100 : 600000;
	if (mlx4r_parse_dec(value, max, &v) < 0 || v < 1) {
		INIT_LOG(ERR, "devarg %s=%s: expected a decimal integer in 1..%" PRIu64,
			 key, value, max);
		return -EINVAL;
	}
	if (strcmp(key, MLX4R_ARG_ATTEMPTS) == 0)
		ra->attempts = v;
	else if (strcmp(key, MLX4R_ARG_DEADLINE) == 0)
		ra->deadline_ms = v;
	else
		ra->reappear_ms = v;
	return 0;
}

/* A decimal integer in [min, max]; -EINVAL (logged) on anything else. */
static int
mlx4r_parse_uint(const char *key, const char *value, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	uint64_t v;

	*out = 0; /* the caller stores it before looking at the result */
	if (value == NULL || value[0] == '\0') {
		INIT_LOG(ERR, "devarg %s: a value is required (%" PRIu64 "..%" PRIu64 ")",
			 key, min, max);
		return -EINVAL;
	}
	if (mlx4r_parse_dec(value, max, &v) < 0 || v < min) {
		INIT_LOG(ERR, "devarg %s=%s: expected a decimal integer in %" PRIu64 "..%" PRIu64,
			 key, value, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * engine_cpu=N: a CPU of this machine, online. Whether the process may
 * run on it (its cgroup's cpuset) is known when the thread is pinned,
 * at the first queue (mlx4r_emu_thread.c emu_engine_start()): the EAL
 * has pinned the calling thread to its lcore by now, so that thread's
 * affinity does not say. @return 0, or -EINVAL with one log line naming
 * key and value.
 */
static int
mlx4r_parse_cpu(const char *key, const char *value, unsigned int *out)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char path[64], on = '1';
	uint64_t v;
	FILE *f;
	int ret;

	if (ncpu < 1)
		ncpu = 1;
	ret = mlx4r_parse_uint(key, value, 0,
			       RTE_MIN((uint64_t)ncpu, (uint64_t)CPU_SETSIZE) - 1,
			       &v);
	if (ret != 0)
		return ret;
	/* cpu0 often has no "online" file: it cannot go offline */
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%" PRIu64
		 "/online", v);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fread(&on, 1, 1, f) != 1)
			on = '1';
		fclose(f);
	}
	if (on != '1') {
		INIT_LOG(ERR, "devarg %s=%s: CPU %" PRIu64 " is offline",
			 key, value, v);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * A devarg of two values, @p off (the default) and @p on: *@p out says
 * which. @return 0, or -EINVAL with one log line naming key and value.
 */
static int
mlx4r_parse_choice(const char *key, const char *value, const char *off,
		   const char *on, bool *out)
{
	if (value != NULL && strcmp(value, on) == 0) {
		*out = true;
		return 0;
	}
	if (value != NULL && strcmp(value, off) == 0) {
		*out = false;
		return 0;
	}
	INIT_LOG(ERR, "devarg %s=%s: expected %s or %s", key,
		 value != NULL ? value : "", off, on);
	return -EINVAL;
}

static int
mlx4r_parse_backend(const char *key, const char *value,
		    struct mlx4r_args *args)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(mlx4r_backend_names); i++) {
		if (value != NULL && strcmp(value, mlx4r_backend_names[i]) == 0)
			break;
	}
	if (i == RTE_DIM(mlx4r_backend_names)) {
		INIT_LOG(ERR, "devarg %s=%s: expected emu or verbs", key,
			 value != NULL ? value : "");
		return -EINVAL;
	}
	args->backend = i;
	return 0;
}

static int
mlx4r_parse_wire(const char *key, const char *value,
		 struct mlx4r_port_args *pa)
{
	unsigned int i;

	if (value == NULL)
		value = "";
	if (strncmp(value, "tap", 3) == 0 &&
	    (value[3] == '\0' || value[3] == ':')) {
		const char *ifname = value[3] == ':' ? value + 4 : "";

		if (strlen(ifname) >= sizeof(pa->tap_name)) {
			INIT_LOG(ERR, "devarg %s=%s: interface name longer than %zu",
				 key, value, sizeof(pa->tap_name) - 1);
			return -EINVAL;
		}
		/*
		 * Names Linux refuses (net/core/dev.c, dev_valid_name()):
		 * "." and "..", '/', ':' and white space.
		 */
		if (strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0 ||
		    strpbrk(ifname, "/: \t\n\v\f\r") != NULL) {
			INIT_LOG(ERR, "devarg %s=%s: not a valid Linux interface name",
				 key, value);
			return -EINVAL;
		}
		strlcpy(pa->tap_name, ifname, sizeof(pa->tap_name));
		pa->wire = MLX4R_WIRE_TAP;
		return 0;
	}
	for (i = 0; i < RTE_DIM(mlx4r_wire_names); i++) {
		if (i != MLX4R_WIRE_TAP &&
		    strcmp(value, mlx4r_wire_names[i]) == 0) {
			pa->wire = i;
			return 0;
		}
	}
	INIT_LOG(ERR, "devarg %s=%s: expected gen, xconnect, loopback, tap[:<ifname>] or none",
		 key, value);
	return -EINVAL;
}

/* A per-port key for ports [first, last): wire, gen_*. */
static int
mlx4r_parse_port_arg(const char *base, const char *key, const char *value,
		     struct mlx4r_args *args, unsigned int first,
		     unsigned int last)
{
	unsigned int i;
	uint64_t v;
	int ret;

	for (i = first; i < last; i++) {
		struct mlx4r_port_args *pa = &args->port[i];

		if (strcmp(base, MLX4R_ARG_WIRE) == 0) {
			ret = mlx4r_parse_wire(key, value, pa);
		} else if (strcmp(base, MLX4R_ARG_GEN_RATE) == 0) {
			ret = mlx4r_parse_uint(key, value, 0, UINT64_C(1) << 40,
					       &v);
			pa->gen_rate = v;
		} else if (strcmp(base, MLX4R_ARG_GEN_SIZE) == 0) {
			ret = mlx4r_parse_uint(key, value,
					       MLX4R_EMU_GEN_MIN_FRAME,
					       MLX4R_EMU_MAX_FRAME, &v);
			pa->gen_size = v;
		} else if (strcmp(base, MLX4R_ARG_GEN_DPORT) == 0) {
			ret = mlx4r_parse_uint(key, value, 1, UINT16_MAX, &v);
			pa->gen_dport = v;
		} else {
			ret = mlx4r_parse_uint(key, value, 1,
					       MLX4R_EMU_GEN_MAX_FLOWS, &v);
			pa->gen_flows = v;
		}
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Parse the devargs string. rte_kvargs_parse() with a list of valid keys
 * fails without saying which key it refused, so keys are checked here,
 * each unknown one named in the log. A key given twice is an error; a
 * per-port key with a suffix (wire2=...) overrides the same key without.
 */
int
mlx4r_parse_args(const char *name, const char *params, struct mlx4r_args *args)
{
	struct rte_kvargs *kvlist;
	unsigned int i, j, pass;
	const char *emu_key = NULL; /* a key of the emulated device */
	int ret = 0;

	memset(args, 0, sizeof(*args));
	mlx4r_reset_args_default(&args->reset);
	args->nb_ports = 1;
	args->backend = MLX4R_BACKEND_EMU;
	args->max_queues = MLX4R_MAX_QUEUES;
	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		args->port[i].wire = MLX4R_WIRE_GEN;
		args->port[i].gen_size = MLX4R_EMU_GEN_MIN_FRAME;
		args->port[i].gen_flows = 1;
		args->port[i].gen_dport = 5000;
	}
	if (params == NULL || params[0] == '\0')
		return 0;
	kvlist = rte_kvargs_parse(params, NULL);
	if (kvlist == NULL) {
		INIT_LOG(ERR, "%s: cannot parse devargs \"%s\"", name, params);
		return -EINVAL;
	}
	for (i = 0; i < kvlist->count; i++) {
		const char *key = kvlist->pairs[i].key;

		if (rte_kvargs_count(kvlist, key) > 1) {
			INIT_LOG(ERR, "%s: devarg \"%s\" given more than once",
				 name, key);
			ret = -EINVAL;
			goto out;
		}
	}
	/* pass 0: device keys and unsuffixed port keys; pass 1: suffixed */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < kvlist->count && ret == 0; i++) {
			const char *key = kvlist->pairs[i].key;
			const char *value = kvlist->pairs[i].value;
			uint64_t v;

			if (strcmp(key, MLX4R_ARG_PORTS) == 0) {
				if (pass == 0) {
					ret = mlx4r_parse_uint(key, value, 1,
						MLX4R_MAX_PORTS, &v);
					args->nb_ports = v;
				}
				continue;
			}
			if (strcmp(key, MLX4R_ARG_BACKEND) == 0) {
				if (pass == 0)
					ret = mlx4r_parse_backend(key, value,
								  args);
				continue;
			}
			if (strcmp(key, MLX4R_ARG_IBDEV) == 0) {
				if (pass == 0 && (value == NULL ||
				    value[0] == '\0' ||
				    strlen(value) >= sizeof(args->ibdev))) {
					INIT_LOG(ERR, "devarg %s=%s: expected an RDMA device name (e.g. mlx4_0), at most %zu characters",
						 key, value ? value : "",
						 sizeof(args->ibdev) - 1);
					ret = -EINVAL;
				} else if (pass == 0) {
					strlcpy(args->ibdev, value,
						sizeof(args->ibdev));
				}
				continue;
			}
			if (strcmp(key, MLX4R_ARG_CATAS_TIME) == 0) {
				/* emulated device: percent of Linux's timeline */
				if (pass == 0) {
					ret = mlx4r_parse_uint(key, value, 1,
							       1000, &v);
					args->catas_time_pct = v;
					emu_key = key;
				}
				continue;
			}
			if (strcmp(key, MLX4R_ARG_MODEL) == 0) {
				/* emulated device: which ConnectX-3 part */
				if (pass != 0)
					continue;
				emu_key = key;
				ret = mlx4r_parse_choice(key, value, "cx3",
							 "cx3pro",
							 &args->model_pro);
				continue;
			}
			if (strcmp(key, MLX4R_ARG_ENGINE) == 0) {
				/* emulated device: hooks or its own thread */
				if (pass != 0)
					continue;
				emu_key = key;
				ret = mlx4r_parse_choice(key, value, "hook",
							 "thread",
							 &args->engine_thread);
				continue;
			}
			if (strcmp(key, MLX4R_ARG_ENGINE_CPU) == 0) {
				/* emulated device: its engine thread's CPU */
				if (pass != 0)
					continue;
				emu_key = key;
				ret = mlx4r_parse_cpu(key, value,
						      &args->engine_cpu);
				args->engine_cpu_set = ret == 0;
				continue;
			}
			if (strcmp(key, MLX4R_ARG_MAX_QUEUES) == 0) {
				if (pass == 0) {
					ret = mlx4r_parse_uint(key, value, 1,
						MLX4R_MAX_QUEUES, &v);
					args->max_queues = v;
				}
				continue;
			}
			{
				/* recovery, recovery_attempts, ... (pass 0) */
				struct mlx4r_reset_args scratch = args->reset;
				int r = mlx4r_reset_parse_arg(key, value,
					pass == 0 ? &args->reset : &scratch);

				if (r != -ENOENT) {
					if (pass == 0)
						ret = r;
					continue;
				}
			}
			for (j = 0; j < RTE_DIM(mlx4r_port_args); j++) {
				size_t l = strlen(mlx4r_port_args[j]);

				if (strncmp(key, mlx4r_port_args[j], l) != 0)
					continue;
				if (key[l] == '\0') {
					if (pass == 0)
						ret = mlx4r_parse_port_arg(
							mlx4r_port_args[j], key,
							value, args, 0,
							MLX4R_MAX_PORTS);
					break;
				}
				if ((key[l] == '1' || key[l] == '2') &&
				    key[l + 1] == '\0') {
					unsigned int p = key[l] - '1';

					if (pass == 1)
						ret = mlx4r_parse_port_arg(
							mlx4r_port_args[j], key,
							value, args, p, p + 1);
					break;
				}
			}
			if (j == RTE_DIM(mlx4r_port_args)) {
				INIT_LOG(ERR, "%s: unknown devarg \"%s\" (valid: %s)",
					 name, key, MLX4R_VALID_ARGS);
				ret = -EINVAL;
			} else {
				emu_key = key;
			}
		}
	}
	if (ret < 0)
		goto out;
	for (i = 0; i < kvlist->count; i++) {
		const char *key = kvlist->pairs[i].key;
		size_t l = strlen(key);

		if (l > 0 && key[l - 1] == '2' && args->nb_ports < 2) {
			INIT_LOG(ERR, "%s: devarg %s for a one-port HCA (add ports=2)",
				 name, key);
			ret = -EINVAL;
			goto out;
		}
	}
	if (args->ibdev[0] != '\0' && args->backend != MLX4R_BACKEND_VERBS) {
		INIT_LOG(ERR, "%s: devarg ibdev=%s needs backend=verbs", name,
			 args->ibdev);
		ret = -EINVAL;
		goto out;
	}
	if (args->backend == MLX4R_BACKEND_VERBS && args->ibdev[0] == '\0')
		strlcpy(args->ibdev, MLX4R_DEFAULT_IBDEV, sizeof(args->ibdev));
	if (args->reset.nb_sched > 0 && emu_key == NULL)
		emu_key = MLX4R_ARG_FAULT;
	if (emu_key != NULL && args->backend != MLX4R_BACKEND_EMU) {
		INIT_LOG(ERR, "%s: devarg %s with backend=%s: wire, gen_*, catas_time_pct, model, engine, engine_cpu and fault apply to the emulated device only",
			 name, emu_key, mlx4r_backend_name(args->backend));
		ret = -EINVAL;
		goto out;
	}
	if (args->engine_cpu_set && !args->engine_thread) {
		INIT_LOG(ERR, "%s: devarg %s=%u needs engine=thread (the hooks run on the lcores that poll)",
			 name, MLX4R_ARG_ENGINE_CPU, args->engine_cpu);
		ret = -EINVAL;
		goto out;
	}
	/* a Tx queue of a scheduled qp_error beyond max_queues never exists */
	for (i = 0; i < args->reset.nb_sched; i++) {
		const struct mlx4r_fault_sched *f = &args->reset.sched[i];

		if (f->fault == MLX4R_FAULT_QP_ERROR &&
		    f->arg >= args->max_queues) {
			INIT_LOG(ERR, "%s: devarg %s: qp_error/%u names Tx queue %u, but a port has %u (max_queues)",
				 name, MLX4R_ARG_FAULT, f->arg, f->arg,
				 args->max_queues);
			ret = -EINVAL;
			goto out;
		}
	}
	for (i = 0; i < args->nb_ports; i++) {
		if (args->port[i].wire != MLX4R_WIRE_XCONNECT)
			continue;
		if (args->nb_ports < 2 ||
		    args->port[1 - i].wire != MLX4R_WIRE_XCONNECT) {
			INIT_LOG(ERR, "%s: wire=xconnect cables port 1 to port 2: it needs ports=2 and both ports on xconnect",
				 name);
			ret = -EINVAL;
			goto out;
		}
	}
out:
	rte_kvargs_free(kvlist);
	return ret < 0 ? -EINVAL : 0;
}
