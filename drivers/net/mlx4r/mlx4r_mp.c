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
 *   CMD_FD        the device context's uverbs command file (SCM_RIGHTS),
 *                 its generation and the UAR's mmap offset: a secondary
 *                 that forwards maps the UAR page from it (verbs backend);
 *                 and the tag its lcores store in the in-burst markers,
 *                 for the secondary that names itself (pid, start time,
 *                 PID namespace): see "A secondary that dies" below.
 * The primary runs the request on EAL's multi-process thread, with the
 * port held against its close (mlx4r_registry_hold(), as telemetry does):
 * the statistics through the port's gated operations, which take the
 * control lock for a moment; CMD_FD with the device's mp_lock only, from
 * the context the primary publishes under it (mlx4r_mp_publish()), so
 * that a secondary's probe never waits for a reset or a device command.
 *
 * Forwarding in a secondary (verbs backend). The rings, doorbell records
 * and queue structures are in DPDK's shared memory (the verbs backend's
 * BUF_ALLOCATORS), at the same addresses in every process; what a process
 * needs of its own is the UAR, the page the Tx doorbell is written to,
 * mapped from the command file (upstream net_mlx4 mlx4.c
 * mlx4_tx_uar_init_secondary(), mlx4_mp.c MLX4_MP_REQ_VERBS_CMD_FD).
 * The secondary asks CMD_FD at probe and publishes the mapping in its
 * eth_dev->process_private (struct mlx4r_proc); its Tx burst rings
 * through it (mlx4r_tx_burst_secondary()). A reset opens a new context:
 * the primary sends every secondary the new file (REMAP, a one-way
 * message, mlx4r_mp_remap()), and until a secondary mapped it, its Tx
 * bursts refuse (the queue's ctx_gen is not its map's).
 *
 * The reset's quiescence covers a secondary's lcores without asking them
 * anything: the in-burst markers and barred flags are in shared memory,
 * and the secondary registers with membarrier(GLOBAL_EXPEDITED) before
 * its first burst, so the primary's fence reaches its threads too
 * (mlx4r_quiesce.c mlx4r_process_fence()). A secondary that hangs inside
 * a burst is an lcore that does not leave, as in the primary: the drain's
 * deadline, and nothing is freed under it. One that never reads the REMAP
 * message only refuses its own Tx bursts; the primary waits for nothing.
 *
 * A secondary that dies inside a burst leaves its marker set. Its markers
 * carry the tag CMD_FD gave it, for which the primary holds a pidfd
 * (mlx4r_quiesce_tag_secondary()): once the process has exited, its
 * markers stop counting (mlx4r_quiesce.c), so the primary's stop, close
 * and resets do not wait for an lcore that is gone.
 */

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_string_fns.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_gate.h"
#include "mlx4r_mp.h"
#include "mlx4r_quiesce.h"
#include "mlx4r_registry.h"
#include "mlx4r_reset.h"

#define MLX4R_MP_NAME "net_mlx4r_stats"
/* how long a secondary waits for the primary's answer */
#define MLX4R_MP_TIMEOUT_MS 2000
/* xstats an answer carries: the driver's and the reset machine's */
#define MLX4R_MP_MAX_XSTATS 28

enum mlx4r_mp_op {
	MLX4R_MP_XSTATS,
	MLX4R_MP_STATS_RESET,
	MLX4R_MP_XSTATS_RESET,
	MLX4R_MP_CMD_FD,
};

/* CMD_FD's answer in v[] (the file in fds[0]) */
#define MLX4R_MP_FD_GEN 0     /* struct mlx4r_dev mp_gen of the context */
#define MLX4R_MP_FD_UAR_OFF 1 /* mmap offset of its UAR page */
#define MLX4R_MP_FD_TAG 2     /* the asking process's in_burst tag */

struct mlx4r_mp_req {
	uint32_t op;      /**< enum mlx4r_mp_op */
	uint16_t port_id; /**< ethdev port id (the same in every process) */
	int32_t pid;      /**< CMD_FD: the asking process, getpid() */
	uint64_t start;   /**< CMD_FD: its mlx4r_proc_start_time() */
	uint64_t pidns;   /**< CMD_FD: its mlx4r_pidns_id() */
};

struct mlx4r_mp_res {
	int32_t result;   /**< 0 or a negative errno */
	uint32_t n;       /**< values in v[] (XSTATS) */
	uint64_t imissed; /**< rte_eth_stats.imissed (XSTATS) */
	uint64_t v[MLX4R_MP_MAX_XSTATS]; /**< xstat i (XSTATS) */
};

static_assert(sizeof(struct mlx4r_mp_res) <= RTE_MP_MAX_PARAM_LEN,
	      "an answer fits one message");

/*
 * Primary, EAL's multi-process thread: the command file of @p dev's
 * context for a secondary, from what mlx4r_mp_publish() published under
 * mp_lock (mlx4r_mp_link.c, whose comment has the handshake), never
 * under the control lock: a reset holds that one for its steps, a device
 * command for its duration, and a secondary waits MLX4R_MP_TIMEOUT_MS
 * for the answer only. Between two contexts of a reset the answer is
 * -EAGAIN ("a REMAP will follow": the secondary polls barred queues and
 * maps the new context's UAR when REINIT sends it, as after any reset).
 * The answer is sent before mp_lock is let go (the file is closed only
 * after mlx4r_mp_unpublish()).
 */
static int
mlx4r_mp_cmd_fd(struct mlx4r_dev *dev, const struct mlx4r_mp_req *req,
		struct rte_mp_msg *out, const void *peer)
{
	struct mlx4r_mp_res *res = (struct mlx4r_mp_res *)out->param;
	int ret;

	pthread_mutex_lock(&dev->mp_lock);
	if (!dev->mp_shareable) {
		res->result = -ENOTSUP; /* emulated: the engine is ours */
	} else {
		/*
		 * From now on the reset's fence reaches the secondaries
		 * (mlx4r_quiesce.c), and a new context is sent to them
		 * (mlx4r_mp_publish() reads it under mp_lock): set before the
		 * answer that lets one start polling, whether it carries the
		 * file or says a REMAP will follow.
		 */
		mlx4r_quiesce_global(true);
		res->n = 3;
		res->v[MLX4R_MP_FD_TAG] = mlx4r_quiesce_tag_secondary(
			req->pid, req->start, req->pidns);
		if (dev->mp_cmd_fd < 0) {
			res->result = -EAGAIN; /* a reset between two contexts */
		} else {
			res->result = 0;
			res->v[MLX4R_MP_FD_GEN] = dev->mp_gen;
			res->v[MLX4R_MP_FD_UAR_OFF] = (uint64_t)dev->mp_uar_off;
			out->num_fds = 1;
			out->fds[0] = dev->mp_cmd_fd;
		}
	}
	ret = rte_mp_reply(out, peer);
	pthread_mutex_unlock(&dev->mp_lock);
	return ret;
}

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
		if (req.op == MLX4R_MP_CMD_FD) {
			struct mlx4r_port *port =
				mlx4r_registry_hold(req.port_id);
			int ret;

			if (port == NULL) {
				res->result = -ENODEV;
				return rte_mp_reply(&out, peer);
			}
			ret = mlx4r_mp_cmd_fd(port->dev, &req, &out, peer);
			mlx4r_registry_release(req.port_id);
			return ret;
		}
		res->result = mlx4r_mp_do(&req, res);
	}
	return rte_mp_reply(&out, peer);
}

static int mlx4r_mp_repair_do(const struct rte_mp_msg *msg, const void *peer);

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
	/* a secondary's lcore met a queue in error (mlx4r_mp_repair()) */
	if (rte_mp_action_register(MLX4R_MP_REPAIR, mlx4r_mp_repair_do) < 0 &&
	    rte_errno != EEXIST)
		INIT_LOG(WARNING, "no repair of queues for secondary processes: %s",
			 rte_strerror(rte_errno));
	registered = true;
}

/*
 * Secondary: send @p op for @p port_id to the primary and wait for its
 * one answer (MLX4R_MP_TIMEOUT_MS). 0 and @p reply, whose msgs the caller
 * frees, or a negative errno (@p reply.msgs freed).
 */
static int
mlx4r_mp_request(uint16_t port_id, enum mlx4r_mp_op op,
		 struct rte_mp_reply *reply)
{
	const struct timespec ts = {
		.tv_sec = MLX4R_MP_TIMEOUT_MS / 1000,
		.tv_nsec = (MLX4R_MP_TIMEOUT_MS % 1000) * 1000000,
	};
	struct mlx4r_mp_req req = { .op = op, .port_id = port_id };
	struct rte_mp_msg msg;
	int ret;

	if (op == MLX4R_MP_CMD_FD) {
		/* names this process for the tag of its markers */
		req.pid = (int32_t)getpid();
		req.start = mlx4r_proc_start_time(getpid());
		req.pidns = mlx4r_pidns_id();
	}
	memset(&msg, 0, sizeof(msg));
	strlcpy(msg.name, MLX4R_MP_NAME, sizeof(msg.name));
	msg.len_param = sizeof(req);
	memcpy(msg.param, &req, sizeof(req));
	memset(reply, 0, sizeof(*reply));
	if (rte_mp_request_sync(&msg, reply, &ts) < 0 ||
	    reply->nb_received != 1) {
		ret = rte_errno != 0 ? -rte_errno : -EIO;
		free(reply->msgs);
		reply->msgs = NULL;
		return ret;
	}
	return 0;
}

/* Secondary: ask the primary; 0 and @p res, or a negative errno. */
static int
mlx4r_mp_ask(uint16_t port_id, enum mlx4r_mp_op op, struct mlx4r_mp_res *res)
{
	struct rte_mp_reply reply;
	int ret;

	ret = mlx4r_mp_request(port_id, op, &reply);
	if (ret < 0) {
		DRV_LOG(ERR, "port %u: no answer from the primary process: %s",
			port_id, rte_strerror(-ret));
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

/*
 * Forwarding in a secondary process (see the file comment).
 */

/* Secondary: map the UAR page of the context of generation @p gen. */
static struct mlx4r_uar_map *
mlx4r_mp_map(int fd, off_t off, uint32_t gen)
{
	long page = sysconf(_SC_PAGESIZE);
	struct mlx4r_uar_map *map;
	void *uar;

	uar = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (uar == MAP_FAILED) {
		DRV_LOG(ERR, "cannot map the UAR of the primary's device context (generation %u): %s",
			gen, strerror(errno));
		return NULL;
	}
	map = calloc(1, sizeof(*map));
	if (map == NULL) {
		munmap(uar, page);
		return NULL;
	}
	map->gen = gen;
	map->uar = uar;
	map->page = page;
	return map;
}

/* Secondary, EAL's multi-process thread: the primary's new context. */
static int
mlx4r_mp_remap_do(const struct rte_mp_msg *msg, const void *peer)
{
	struct mlx4r_mp_remap rm;
	unsigned int i;

	RTE_SET_USED(peer);
	if (msg->len_param != sizeof(rm) || msg->num_fds != 1)
		goto out;
	memcpy(&rm, msg->param, sizeof(rm));
	for (i = 0; i < rm.nb_ports && i < MLX4R_MAX_PORTS; i++) {
		struct mlx4r_uar_map *map;

		if (rm.port_id[i] >= RTE_MAX_ETHPORTS ||
		    rte_eth_devices[rm.port_id[i]].process_private == NULL)
			continue; /* not forwarding here (checked again below) */
		map = mlx4r_mp_map(msg->fds[0], (off_t)rm.uar_off, rm.gen);
		if (map != NULL)
			mlx4r_mp_map_publish(&rte_eth_devices[rm.port_id[i]],
					     mlx4r_mp_secondary_ops(), map);
	}
out:
	/* the message's file is this process's: the mappings hold it */
	for (i = 0; i < (unsigned int)msg->num_fds; i++)
		close(msg->fds[i]);
	return 0;
}

/* Primary, EAL's multi-process thread: a secondary's queue in error. */
static int
mlx4r_mp_repair_do(const struct rte_mp_msg *msg, const void *peer)
{
	struct mlx4r_port *port;
	uint16_t port_id;

	RTE_SET_USED(peer);
	if (msg->len_param != sizeof(port_id))
		return 0;
	memcpy(&port_id, msg->param, sizeof(port_id));
	port = mlx4r_registry_hold(port_id);
	if (port == NULL)
		return 0;
	port->dev->events->request(port->dev, MLX4R_REQ_REPAIR);
	mlx4r_registry_release(port_id);
	return 0;
}

int
mlx4r_mp_secondary_attach(struct rte_eth_dev *eth_dev)
{
	static bool registered; /* probes run one at a time (EAL) */
	struct mlx4r_port *port = eth_dev->data->dev_private;
	uint16_t port_id = eth_dev->data->port_id;
	struct mlx4r_uar_map *map = NULL;
	const struct mlx4r_mp_res *res;
	struct rte_mp_reply reply;
	struct mlx4r_proc *pp;
	int ret, i;

	/* the engine runs in the primary's bursts: nothing to share */
	if (port->dev->args.backend != MLX4R_BACKEND_VERBS)
		return -ENOTSUP;
	/*
	 * Before the first burst: the primary's reset fence must reach this
	 * process's threads (mlx4r_quiesce.c).
	 */
	ret = mlx4r_quiesce_register_secondary();
	if (ret < 0)
		return ret;
	if (!registered) {
		ret = rte_mp_action_register(MLX4R_MP_REMAP, mlx4r_mp_remap_do);
		if (ret < 0 && rte_errno != EEXIST)
			return -rte_errno;
		registered = true;
	}
	pp = calloc(1, sizeof(*pp));
	if (pp == NULL)
		return -ENOMEM;
	/* found by a REMAP from now on (mlx4r_mp_remap_do()) */
	mlx4r_mp_proc_set(eth_dev, pp);
	ret = mlx4r_mp_request(port_id, MLX4R_MP_CMD_FD, &reply);
	if (ret < 0)
		goto out;
	res = (const struct mlx4r_mp_res *)reply.msgs[0].param;
	if (reply.msgs[0].len_param != sizeof(*res)) {
		ret = -EIO;
	} else if (res->result == -EAGAIN) {
		/* between two contexts of a reset: its REMAP will follow */
		if (res->n == 3)
			__atomic_store_n(&mlx4r_burst_tag,
					 (uint8_t)res->v[MLX4R_MP_FD_TAG],
					 __ATOMIC_RELAXED);
		ret = 0;
	} else if (res->result < 0) {
		ret = res->result;
	} else if (reply.msgs[0].num_fds != 1 || res->n != 3) {
		ret = -EIO;
	} else {
		/*
		 * Before this process's first burst (its lcores are launched
		 * after the probe; the same value for every port).
		 */
		__atomic_store_n(&mlx4r_burst_tag,
				 (uint8_t)res->v[MLX4R_MP_FD_TAG],
				 __ATOMIC_RELAXED);
		map = mlx4r_mp_map(reply.msgs[0].fds[0],
				   (off_t)res->v[MLX4R_MP_FD_UAR_OFF],
				   (uint32_t)res->v[MLX4R_MP_FD_GEN]);
		ret = map != NULL ? 0 : -errno;
		/* -EALREADY: a REMAP of a newer context came first */
		if (map != NULL)
			mlx4r_mp_map_publish(eth_dev, mlx4r_mp_secondary_ops(),
					     map);
	}
	for (i = 0; i < reply.msgs[0].num_fds; i++)
		close(reply.msgs[0].fds[i]);
out:
	free(reply.msgs);
	if (ret < 0) {
		mlx4r_mp_secondary_detach(eth_dev);
		return ret;
	}
	/* the primary's choice (mlx4r_probe.c), by the shared port */
	eth_dev->rx_pkt_burst = port->l2tun_cap ? mlx4r_rx_burst_l2tun :
				mlx4r_rx_burst;
	eth_dev->tx_pkt_burst = mlx4r_tx_burst_secondary;
	/* reads only the mbufs: the same in every process */
	eth_dev->tx_pkt_prepare = mlx4r_tx_prepare;
	return 0;
}
