/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

#ifndef MLX4R_TELEMETRY_H
#define MLX4R_TELEMETRY_H

/*
 * The telemetry commands of mlx4r_telemetry.c: their parameter parsers
 * and the handlers registered for /mlx4r/state, /history, /inject and
 * /reset. Declared here, not static, only so that the fuzzers of app/fuzz
 * can call them as the telemetry thread does; nothing else in the driver
 * uses them.
 */

#include <stdint.h>

struct rte_tel_data;

/** Parameters of /mlx4r/inject: "<port_id>,<fault>[,<arg>]". */
struct mlx4r_tel_inject_req {
	uint16_t port_id; /**< below RTE_MAX_ETHPORTS */
	uint32_t fault;   /**< enum rte_pmd_mlx4r_fault */
	uint32_t arg;     /**< its argument (0 when not given) */
	char name[32];    /**< the fault's name as given */
};

/**
 * "<port_id>[,<rest>]": a decimal port id below RTE_MAX_ETHPORTS. Sets
 * @p rest (when not NULL) to what follows the comma, or NULL.
 * @return 0, -EINVAL.
 */
int mlx4r_tel_parse_port(const char *params, uint16_t *port_id,
			 const char **rest);
/**
 * Parse the parameters of /mlx4r/inject: a port as above, a fault name
 * (mlx4r_fault_parse()), and optionally its argument, a decimal integer
 * of 32 bits. @return 0, -EINVAL.
 */
int mlx4r_tel_parse_inject(const char *params,
			   struct mlx4r_tel_inject_req *req);

/* The handlers (rte_telemetry_cb); each returns 0 or -EINVAL, -ENOMEM. */
int mlx4r_tel_state(const char *cmd, const char *params,
		    struct rte_tel_data *d);
int mlx4r_tel_history(const char *cmd, const char *params,
		      struct rte_tel_data *d);
int mlx4r_tel_inject(const char *cmd, const char *params,
		     struct rte_tel_data *d);
int mlx4r_tel_reset(const char *cmd, const char *params,
		    struct rte_tel_data *d);

#endif /* MLX4R_TELEMETRY_H */
