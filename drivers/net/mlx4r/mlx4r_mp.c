/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * A secondary process (dpdk-proc-info, for instance) shares a port's
 * queues, whose counters it can read and clear, but not the device
 * context, which is the primary's: the device's port counters (imissed,
 * rx_steering_dropped, ...) and the reset machine's xstats behind the
 * control lock are read by the primary. The secondary asks over EAL's
 * multi-process channel (rte_mp_request_sync() to the action
 * MLX4R_MP_NAME), one request per call:
 *   XSTATS        every xstat of the port, as the primary lists them,
 *                 and imissed;
 *   STATS_RESET   rte_eth_stats_reset() in the primary;
 *   XSTATS_RESET  rte_eth_xstats_reset() in the primary.
 * The primary runs the request on EAL's multi-process thread, with the
 * port held against its close (mlx4r_registry_hold(), as telemetry does)
 * and the port's gated operations, which take the control lock.
 */

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_string_fns.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_gate.h"
#include "mlx4r_mp.h"
#include "mlx4r_registry.h"

#define MLX4R_MP_NAME "net_mlx4r_stats"
/* how long a secondary waits for the primary's answer */
#define MLX4R_MP_TIMEOUT_MS 2000
/* xstats an answer carries: the driver's and the reset machine's */
#define MLX4R_MP_MAX_XSTATS 28

enum mlx4r_mp_op {
	MLX4R_MP_XSTATS,
	MLX4R_MP_STATS_RESET,
	MLX4R_MP_XSTATS_RESET,
};

struct mlx4r_mp_req {
	uint32_t op;      /**< enum mlx4r_mp_op */
	uint16_t port_id; /**< ethdev port id (the same in every process) */
};

struct mlx4r_mp_res {
	int32_t result;   /**< 0 or a negative errno */
	uint32_t n;       /**< values in v[] (XSTATS) */
	uint64_t imissed; /**< rte_eth_stats.imissed (XSTATS) */
	uint64_t v[MLX4R_MP_MAX_XSTATS]; /**< xstat i (XSTATS) */
};

static_assert(sizeof(struct mlx4r_mp_res) <= RTE_MP_MAX_PARAM_LEN,
	      "an answer fits one message");

/* Primary: carry out @p req for the port it names. */
static int
mlx4r_mp_do(const struct mlx4r_mp_req *req, struct mlx4r_mp_res *res)
{
	const struct eth_dev_ops *ops = mlx4r_gate_dev_ops();
	struct rte_eth_xstat xs[MLX4R_MP_MAX_XSTATS];
	struct rte_eth_stats st;
	struct mlx4r_port *port;
	struct rte_eth_dev *eth_dev;
	int ret, i;

	port = mlx4r_registry_hold(req->port_id);
	if (port == NULL)
		return -ENODEV; /* not ours, or closing */
	eth_dev = port->eth_dev;
	switch (req->op) {
	case MLX4R_MP_XSTATS:
		ret = ops->xstats_get(eth_dev, xs, RTE_DIM(xs));
		if (ret > (int)RTE_DIM(xs)) {
			ret = -ENOSPC;
			break;
		}
		if (ret < 0)
			break;
		for (i = 0; i < ret; i++)
			res->v[i] = xs[i].value;
		res->n = ret;
		memset(&st, 0, sizeof(st));
		if (ops->stats_get(eth_dev, &st) == 0)
			res->imissed = st.imissed;
		ret = 0;
		break;
	case MLX4R_MP_STATS_RESET:
		ret = ops->stats_reset(eth_dev);
		break;
	case MLX4R_MP_XSTATS_RESET:
		ret = ops->xstats_reset(eth_dev);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mlx4r_registry_release(req->port_id);
	return ret;
}

/* Primary, EAL's multi-process thread: one request of a secondary. */
static int
mlx4r_mp_primary(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg out;
	struct mlx4r_mp_res *res = (struct mlx4r_mp_res *)out.param;
	struct mlx4r_mp_req req;

	memset(&out, 0, sizeof(out));
	strlcpy(out.name, MLX4R_MP_NAME, sizeof(out.name));
	out.len_param = sizeof(*res);
	if (msg->len_param != sizeof(req)) {
		res->result = -EINVAL;
	} else {
		memcpy(&req, msg->param, sizeof(req));
		res->result = mlx4r_mp_do(&req, res);
	}
	return rte_mp_reply(&out, peer);
}

void
mlx4r_mp_init(void)
{
	static bool registered; /* probes run one at a time (EAL) */

	if (registered)
		return;
	/*
	 * ENOTSUP: no multi-process channel (--in-memory, --no-shconf),
	 * hence no secondary; EEXIST: registered by an earlier probe.
	 */
	if (rte_mp_action_register(MLX4R_MP_NAME, mlx4r_mp_primary) < 0 &&
	    rte_errno != EEXIST) {
		if (rte_errno != ENOTSUP)
			INIT_LOG(WARNING, "no statistics for secondary processes: %s",
				 rte_strerror(rte_errno));
		return;
	}
	registered = true;
}

/* Secondary: ask the primary; 0 and @p res, or a negative errno. */
static int
mlx4r_mp_ask(uint16_t port_id, enum mlx4r_mp_op op, struct mlx4r_mp_res *res)
{
	const struct timespec ts = {
		.tv_sec = MLX4R_MP_TIMEOUT_MS / 1000,
		.tv_nsec = (MLX4R_MP_TIMEOUT_MS % 1000) * 1000000,
	};
	struct mlx4r_mp_req req = { .op = op, .port_id = port_id };
	struct rte_mp_reply reply;
	struct rte_mp_msg msg;
	int ret;

	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.name, MLX4R_MP_NAME, sizeof(msg.name));
	msg.len_param = sizeof(req);
	memcpy(msg.param, &req, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	if (rte_mp_request_sync(&msg, &reply, &ts) < 0 ||
	    reply.nb_received != 1) {
		ret = rte_errno != 0 ? -rte_errno : -EIO;
		DRV_LOG(ERR, "port %u: no answer from the primary process: %s",
			port_id, rte_strerror(-ret));
		free(reply.msgs);
		return ret;
	}
	if (reply.msgs[0].len_param != sizeof(*res)) {
		free(reply.msgs);
		return -EIO;
	}
	memcpy(res, reply.msgs[0].param, sizeof(*res));
	free(reply.msgs);
	return res->result;
}

static int
mlx4r_mp_xstats_get_names(struct rte_eth_dev *eth_dev,
			  struct rte_eth_xstat_name *names, unsigned int size)
{
	/* the names are constants: the primary's list, read here */
	return mlx4r_gate_dev_ops()->xstats_get_names(eth_dev, names, size);
}

static int
mlx4r_mp_xstats_get(struct rte_eth_dev *eth_dev, struct rte_eth_xstat *xs,
		    unsigned int n)
{
	int total = mlx4r_mp_xstats_get_names(eth_dev, NULL, 0);
	struct mlx4r_mp_res res;
	int ret, i;

	if (total < 0 || xs == NULL || n < (unsigned int)total)
		return total;
	memset(&res, 0, sizeof(res));
	ret = mlx4r_mp_ask(eth_dev->data->port_id, MLX4R_MP_XSTATS, &res);
	if (ret < 0)
		return ret;
	if (res.n != (uint32_t)total)
		return -EIO;
	for (i = 0; i < total; i++) {
		xs[i].id = i;
		xs[i].value = res.v[i];
	}
	return total;
}

static int
mlx4r_mp_stats_get(struct rte_eth_dev *eth_dev, struct rte_eth_stats *stats)
{
	struct mlx4r_mp_res res;
	int ret;

	/* the queues' counters are shared: read here */
	ret = mlx4r_dev_ops_secondary.stats_get(eth_dev, stats);
	if (ret < 0)
		return ret;
	/* the device's missed count is the primary's (0 if it says nothing) */
	memset(&res, 0, sizeof(res));
	if (mlx4r_mp_ask(eth_dev->data->port_id, MLX4R_MP_XSTATS, &res) == 0)
		stats->imissed = res.imissed;
	return 0;
}

static int
mlx4r_mp_stats_reset(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_mp_res res;

	return mlx4r_mp_ask(eth_dev->data->port_id, MLX4R_MP_STATS_RESET,
			    &res);
}

static int
mlx4r_mp_xstats_reset(struct rte_eth_dev *eth_dev)
{
	struct mlx4r_mp_res res;

	return mlx4r_mp_ask(eth_dev->data->port_id, MLX4R_MP_XSTATS_RESET,
			    &res);
}

static struct eth_dev_ops mlx4r_mp_ops;
static pthread_once_t mlx4r_mp_once = PTHREAD_ONCE_INIT;

static void
mlx4r_mp_build(void)
{
	mlx4r_mp_ops = mlx4r_dev_ops_secondary;
	mlx4r_mp_ops.stats_get = mlx4r_mp_stats_get;
	mlx4r_mp_ops.stats_reset = mlx4r_mp_stats_reset;
	mlx4r_mp_ops.xstats_get = mlx4r_mp_xstats_get;
	mlx4r_mp_ops.xstats_get_names = mlx4r_mp_xstats_get_names;
	mlx4r_mp_ops.xstats_reset = mlx4r_mp_xstats_reset;
}

const struct eth_dev_ops *
mlx4r_mp_secondary_ops(void)
{
	pthread_once(&mlx4r_mp_once, mlx4r_mp_build);
	return &mlx4r_mp_ops;
}
