/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_DEVARGS_H
#define MLX4R_DEVARGS_H

/*
 * Devargs of a net_mlx4r vdev (mlx4r_devargs.c): the keys, the parsed
 * form every other file reads (struct mlx4r_args), and the parser. The
 * bottom of the driver: it needs nothing of the device, so that it can be
 * run (and fuzzed) on its own.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A ConnectX-3 HCA has one or two physical ports (devarg ports). */
#define MLX4R_MAX_PORTS 2
/* Queue limits advertised by dev_infos_get (devarg max_queues). */
#define MLX4R_MAX_QUEUES 16

#define MLX4R_ARG_PORTS "ports"
#define MLX4R_ARG_BACKEND "backend"
#define MLX4R_ARG_MAX_QUEUES "max_queues"
#define MLX4R_ARG_WIRE "wire"
#define MLX4R_ARG_GEN_RATE "gen_rate"
#define MLX4R_ARG_GEN_SIZE "gen_size"
#define MLX4R_ARG_GEN_FLOWS "gen_flows"
#define MLX4R_ARG_GEN_DPORT "gen_dport"
#define MLX4R_ARG_IBDEV "ibdev"
#define MLX4R_ARG_RECOVERY "recovery"
#define MLX4R_ARG_ATTEMPTS "recovery_attempts"
#define MLX4R_ARG_DEADLINE "reset_deadline_ms"
#define MLX4R_ARG_REAPPEAR "reinit_timeout_ms"
#define MLX4R_ARG_FAULT "fault"
#define MLX4R_ARG_CATAS_TIME "catas_time_pct"
#define MLX4R_ARG_MODEL "model"
#define MLX4R_ARG_ENGINE "engine"
#define MLX4R_ARG_ENGINE_CPU "engine_cpu"

/** Backends of the hardware seam a device can be opened on. */
enum mlx4r_backend {
	MLX4R_BACKEND_EMU,   /**< the emulated ConnectX-3 (default) */
	MLX4R_BACKEND_VERBS, /**< real hardware through rdma-core */
};

/** What the port of an emulated device is cabled to (devarg wire). */
enum mlx4r_wire {
	MLX4R_WIRE_GEN,      /**< built-in generator + checker (default) */
	MLX4R_WIRE_XCONNECT, /**< the other port of the HCA */
	MLX4R_WIRE_LOOPBACK, /**< the port itself */
	MLX4R_WIRE_TAP,      /**< a TAP interface of the kernel */
	MLX4R_WIRE_NONE,     /**< nothing: frames sent are dropped */
};

/** Error-handling mode (devarg recovery). */
enum mlx4r_rst_mode {
	MLX4R_RST_PASSIVE,   /**< INTR_RESET + rte_eth_dev_reset() acks */
	MLX4R_RST_PROACTIVE, /**< ERR_RECOVERING ... RECOVERY_SUCCESS */
};

/* Faults of the emulated device (values of enum rte_pmd_mlx4r_fault). */
#define MLX4R_FAULT_MAX 8
#define MLX4R_FAULT_QP_ERROR 6 /* RTE_PMD_MLX4R_FAULT_QP_ERROR */
/* fault=: longest duration argument and latest time (ms) */
#define MLX4R_FAULT_MAX_MS 600000
#define MLX4R_FAULT_MAX_AT_MS 86400000
/* fault=: largest count argument (cmd_fail, reinit_fail, ...) */
#define MLX4R_FAULT_MAX_COUNT 1000000

/** One scheduled fault of the devarg "fault". */
struct mlx4r_fault_sched {
	uint32_t fault;  /**< enum rte_pmd_mlx4r_fault */
	uint32_t arg;    /**< its argument */
	uint32_t at_ms;  /**< milliseconds after probe */
};

#define MLX4R_FAULT_SCHED_MAX 8

/** Reset devargs. */
struct mlx4r_reset_args {
	enum mlx4r_rst_mode mode; /**< recovery=passive|proactive */
	uint32_t attempts;        /**< recovery_attempts=<n> (default 3) */
	uint32_t deadline_ms;     /**< reset_deadline_ms=<ms> (default 1000) */
	uint32_t reappear_ms;     /**< reinit_timeout_ms=<ms> (default 5000) */
	uint32_t nb_sched;        /**< entries of sched[] */
	struct mlx4r_fault_sched sched[MLX4R_FAULT_SCHED_MAX]; /**< fault= */
};

/** Per-port devargs of the emulated device. */
struct mlx4r_port_args {
	enum mlx4r_wire wire;  /**< wire / wire<N> */
	char tap_name[16];     /**< wire=tap:<name> (IFNAMSIZ) */
	uint64_t gen_rate;     /**< gen_rate: frames per second, 0: max */
	uint16_t gen_size;     /**< gen_size: frame bytes without FCS */
	uint16_t gen_flows;    /**< gen_flows: flows of the generator */
	uint16_t gen_dport;    /**< gen_dport: UDP destination port */
};

/** Parsed devargs of one vdev instance. */
struct mlx4r_args {
	unsigned int nb_ports;       /**< ports=1|2 */
	enum mlx4r_backend backend;  /**< backend=emu|verbs */
	unsigned int max_queues;     /**< max_queues=1..16 (Rx and Tx) */
	struct mlx4r_port_args port[MLX4R_MAX_PORTS]; /**< per port */
	char ibdev[64];              /**< ibdev=<rdma device> (verbs) */
	/** catas_time_pct=1..1000: emulated device's way back (0: default) */
	uint16_t catas_time_pct;
	/**
	 * model=cx3|cx3pro: the emulated part, a ConnectX-3 (default) or a
	 * ConnectX-3 Pro (tunnel offloads: mlx4r_emu_dev_conf.pro)
	 */
	bool model_pro;
	/**
	 * engine=hook|thread: where the emulated device's engine runs, at
	 * the bursts' hooks (default) or on a thread of its own
	 * (mlx4r_emu_dev_conf.engine_thread)
	 */
	bool engine_thread;
	/**
	 * engine_cpu=N (with engine=thread): the CPU the engine's thread is
	 * pinned to (mlx4r_emu_dev_conf.engine_cpu); unset, it runs where
	 * the thread that created it may
	 */
	bool engine_cpu_set;
	unsigned int engine_cpu;
	struct mlx4r_reset_args reset; /**< recovery, fault, ... */
};

/**
 * Parse the devargs string @p params of vdev @p name into @p args
 * (defaults first). @return 0, or -EINVAL with one log line naming the
 * key and the value.
 */
int mlx4r_parse_args(const char *name, const char *params,
		     struct mlx4r_args *args);
int mlx4r_reset_parse_arg(const char *key, const char *value,
			  struct mlx4r_reset_args *ra);
void mlx4r_reset_args_default(struct mlx4r_reset_args *ra);

/**
 * Parse @p s, a decimal integer in [0, @p max], into @p out: digits only.
 * strtoul() would take a sign ("-5" wraps to a huge value), leading
 * blanks, "0x" with base 0, and saturate on overflow; none of that is a
 * valid devarg. Inline, so that the layers below the devargs (the fault
 * schedule, telemetry) share it. @return 0 or -EINVAL.
 */
static inline int
mlx4r_parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		unsigned int d = (unsigned char)*s - '0';

		if (d > 9 || d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
/** Names of the values, for log lines. */
const char *mlx4r_backend_name(enum mlx4r_backend b);
const char *mlx4r_wire_name(enum mlx4r_wire w);

#endif /* MLX4R_DEVARGS_H */
