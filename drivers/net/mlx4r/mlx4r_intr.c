/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Rx interrupts (dev_conf.intr_conf.rxq): rx_queue_intr_enable/disable,
 * the port's rte_intr_handle efds, and their life across resets.
 *
 * As upstream net_mlx4 (mlx4_intr.c mlx4_rx_intr_vec_enable, mlx4_arm_cq,
 * mlx4_rx_intr_enable/disable; mlx4_rxq.c mlx4_rxq_attach): each Rx queue
 * has a completion channel, its CQ is created on it, enable arms the CQ
 * through its doorbell (libmlx4 cq.c mlx4_arm_cq: the arm word
 * sn << 28 | REQ_NOT | ci into the doorbell record, a write barrier, the
 * 64-bit UAR doorbell), and disable takes the event (ibv_get_cq_event),
 * counts it in the arm sequence number (libmlx4 cq.c mlx4_cq_event) and
 * acknowledges it (ibv_ack_cq_events). The handle is of type
 * RTE_INTR_HANDLE_EXT: EAL reads nothing from the fd when it wakes
 * (eal_interrupts.c eal_intr_proc_rxtx_intr), disable does.
 *
 * What differs: the fd in efds[i] is not the channel's. A reset destroys
 * the context and with it every channel; an fd the application put in its
 * epoll set (rte_eth_dev_rx_intr_ctl_q) would die with it, and dup2() of a
 * new channel onto the old number would not help: epoll keys its entries
 * by open file, and the old file's entry goes when its last fd closes.
 * So the driver owns, per (port, queue index) and for the life of the
 * device (like the queue structures, mlx4r.h), an epoll fd of its own,
 * and that is the fd the application gets: a nested epoll set holding
 * the current channel's fd and a "kick" eventfd. The kernel reports an
 * epoll fd readable while one of its members is (fs/eventpoll.c
 * ep_eventpoll_poll), and wakes the epoll sets that hold it on each event
 * of a member (ep_poll_callback -> ep->poll_wait), so an edge-triggered
 * registration (EAL's EPOLLET) sees every event. At a reset the old
 * channel's fd leaves the set (closed) and the new one joins it: the
 * application's registration and fd number stay.
 *
 * The kick: a CQ made by a reset is not armed, and an application that
 * armed the old one sleeps until an event. So whenever a reset or a
 * repair makes a queue live again (after mlx4r_port_unbar, after
 * mlx4r_queue_unbar in mlx4r_repair.c) the driver writes the kick
 * eventfd: the application wakes, disables (which reads the kick), polls,
 * and arms the new CQ by its next enable. Not at the application's own
 * start or queue start: it arms after those itself. An enable or
 * disable while the queue is barred touches nothing (the old CQ and
 * channel may be going): enable returns 0, the kick after the unbar makes
 * the application come back; disable returns -EAGAIN.
 *
 * Threads: enable and disable run on the lcore that polls the queue
 * (l3fwd-power's rule, and upstream's: they use the consumer index the
 * burst keeps), inside the queue's quiescence marker like a burst
 * (mlx4r_rxtx.c MLX4R_BURST_ENTER), so that a reset, a stop or a release,
 * which destroy the CQ and channel only after proving the queue
 * quiescent (mlx4r_quiesce.c), never overlap one. Set-up and teardown
 * run under the control lock.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <rte_common.h>
#include <rte_interrupts.h>
#include <rte_io.h>
#include <rte_malloc.h>

#include <ethdev_driver.h>

#include "mlx4r.h"

/* Rx interrupt state of one (port, queue index): type-stable (above). */
struct mlx4r_rxq_intr {
	int epfd;                    /**< the application's fd (efds[]) */
	int kick_fd;                 /**< eventfd in epfd: the driver's wake */
	struct mlx4r_hw_channel *ch; /**< channel of the current CQ, or NULL */
	volatile uint32_t *arm_db;   /**< CQ doorbell record, arm word */
	void *cq_db_reg;             /**< cq_uar + MLX4_CQ_DOORBELL */
	uint32_t cqn;                /**< CQ number */
	uint32_t arm_sn;             /**< arm sequence number (events taken) */
};

static bool
mlx4r_intr_rxq_on(const struct mlx4r_port *port)
{
	return port->eth_dev->data->dev_conf.intr_conf.rxq != 0;
}

static struct mlx4r_rxq_intr **
mlx4r_intr_slot(struct mlx4r_port *port, uint16_t idx)
{
	return &port->dev->rxq_intr[port->port_num - 1][idx];
}

/* The state of queue @p idx, made at its first start in interrupt mode. */
static struct mlx4r_rxq_intr *
mlx4r_intr_get(struct mlx4r_port *port, uint16_t idx)
{
	struct mlx4r_rxq_intr **slot = mlx4r_intr_slot(port, idx);
	struct mlx4r_rxq_intr *in = *slot;
	struct epoll_event ev = { .events = EPOLLIN };

	if (in != NULL)
		return in;
	in = rte_zmalloc("mlx4r_rxq_intr", sizeof(*in), 0);
	if (in == NULL)
		return NULL;
	in->epfd = epoll_create1(EPOLL_CLOEXEC);
	in->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ev.data.fd = in->kick_fd;
	if (in->epfd < 0 || in->kick_fd < 0 ||
	    epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->kick_fd, &ev) < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: no fd for Rx interrupts: %s",
			MLX4R_PORT_ARGS(port), idx, strerror(errno));
		if (in->epfd >= 0)
			close(in->epfd);
		if (in->kick_fd >= 0)
			close(in->kick_fd);
		rte_free(in);
		return NULL;
	}
	*slot = in;
	return in;
}

void
mlx4r_intr_dev_free(struct mlx4r_dev *dev)
{
	unsigned int p, i;

	for (p = 0; p < MLX4R_MAX_PORTS; p++) {
		for (i = 0; i < MLX4R_MAX_QUEUES; i++) {
			struct mlx4r_rxq_intr *in = dev->rxq_intr[p][i];

			if (in == NULL)
				continue;
			close(in->epfd);
			close(in->kick_fd);
			rte_free(in);
			dev->rxq_intr[p][i] = NULL;
		}
	}
}

int
mlx4r_rxq_intr_attach(struct mlx4r_rxq *rxq, struct mlx4r_hw_channel **ch)
{
	struct mlx4r_port *port = rxq->port;
	struct mlx4r_rxq_intr *in;
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	*ch = NULL;
	if (!mlx4r_intr_rxq_on(port))
		return 0;
	in = mlx4r_intr_get(port, rxq->queue_id);
	if (in == NULL)
		return -ENOMEM;
	ret = mlx4r_hw_create_comp_channel(port->dev->ctx, &in->ch);
	if (ret < 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: intr_conf.rxq: cannot create a completion channel: %s",
			MLX4R_PORT_ARGS(port), rxq->queue_id, strerror(-ret));
		in->ch = NULL;
		return ret;
	}
	ev.data.fd = in->ch->fd;
	if (epoll_ctl(in->epfd, EPOLL_CTL_ADD, in->ch->fd, &ev) < 0) {
		ret = -errno;
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: completion channel fd %d: %s",
			MLX4R_PORT_ARGS(port), rxq->queue_id, in->ch->fd,
			strerror(-ret));
		mlx4r_hw_destroy_comp_channel(in->ch);
		in->ch = NULL;
		return ret;
	}
	*ch = in->ch;
	return 0;
}

void
mlx4r_rxq_intr_view(struct mlx4r_rxq *rxq, const struct mlx4dv_cq *cv)
{
	struct mlx4r_rxq_intr *in;

	if (!mlx4r_intr_rxq_on(rxq->port))
		return;
	in = *mlx4r_intr_slot(rxq->port, rxq->queue_id);
	if (in == NULL || in->ch == NULL)
		return;
	in->arm_db = (volatile uint32_t *)cv->arm_db;
	/* libmlx4 fills cq_uar only when asked (mlx4.c mlx4dv_get_cq) */
	in->cq_db_reg = (cv->comp_mask & MLX4DV_CQ_MASK_UAR) &&
			cv->cq_uar != NULL ?
			(uint8_t *)cv->cq_uar + MLX4_CQ_DOORBELL : NULL;
	if (in->cq_db_reg == NULL)
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: no CQ doorbell (libmlx4 without MLX4DV_CQ_MASK_UAR): Rx interrupts refused",
			MLX4R_PORT_ARGS(rxq->port), rxq->queue_id);
	in->cqn = cv->cqn;
	/* a new CQ counts its events from libmlx4's start (verbs.c: 1) */
	in->arm_sn = cv->arm_sn;
}

/*
 * Before the CQ goes: take and acknowledge the events it raised, which
 * its destroy needs (libibverbs waits for them). The queue is quiescent.
 */
void
mlx4r_rxq_intr_drain(struct mlx4r_rxq *rxq)
{
	struct mlx4r_rxq_intr *in = *mlx4r_intr_slot(rxq->port,
						      rxq->queue_id);
	struct mlx4r_hw_cq *cq;

	if (in == NULL || in->ch == NULL)
		return;
	while (mlx4r_hw_get_cq_event(in->ch, &cq) == 0)
		mlx4r_hw_ack_cq_events(cq, 1);
}

/* After the CQ went: its channel leaves the epoll set and goes. */
void
mlx4r_rxq_intr_detach(struct mlx4r_rxq *rxq)
{
	struct mlx4r_rxq_intr *in = *mlx4r_intr_slot(rxq->port,
						      rxq->queue_id);
	int ret;

	if (in == NULL || in->ch == NULL)
		return;
	epoll_ctl(in->epfd, EPOLL_CTL_DEL, in->ch->fd, NULL);
	ret = mlx4r_hw_destroy_comp_channel(in->ch);
	if (ret < 0)
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: completion channel not destroyed: %s",
			MLX4R_PORT_ARGS(rxq->port), rxq->queue_id,
			strerror(-ret));
	in->ch = NULL;
	in->arm_db = NULL;
	in->cq_db_reg = NULL;
}

/* The queue is live again: wake its sleeper, which arms the new CQ. */
void
mlx4r_rxq_intr_kick(struct mlx4r_rxq *rxq)
{
	struct mlx4r_rxq_intr *in;
	uint64_t one = 1;

	if (!mlx4r_intr_rxq_on(rxq->port))
		return;
	in = *mlx4r_intr_slot(rxq->port, rxq->queue_id);
	if (in == NULL || in->ch == NULL)
		return;
	/* cannot fail: the counter overflows only after 2^64 - 2 wakes */
	if (write(in->kick_fd, &one, sizeof(one)) != sizeof(one))
		DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: wake-up lost: %s",
			MLX4R_PORT_ARGS(rxq->port), rxq->queue_id,
			strerror(errno));
}

void
mlx4r_intr_port_kick(struct mlx4r_port *port)
{
	struct mlx4r_rxq *rxq;
	uint16_t i;

	MLX4R_FOREACH_RXQ(port, i, rxq)
		if (!rxq->stopped)
			mlx4r_rxq_intr_kick(rxq);
}

/*
 * The port's interrupt vector: Rx queue i is vector
 * RTE_INTR_VEC_RXTX_OFFSET + i, its efd the queue's stable epoll fd (as
 * mlx4_rx_intr_vec_enable, every queue of the port). At each start;
 * kept as it is when a reset starts the port again.
 */
int
mlx4r_intr_port_start(struct mlx4r_port *port)
{
	struct rte_eth_dev *eth_dev = port->eth_dev;
	uint16_t n = eth_dev->data->nb_rx_queues, i;
	struct rte_intr_handle *h = port->rx_intr;

	if (!mlx4r_intr_rxq_on(port))
		return 0;
	if (h == NULL) {
		h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
		if (h == NULL ||
		    rte_intr_type_set(h, RTE_INTR_HANDLE_EXT) != 0) {
			rte_intr_instance_free(h);
			DRV_LOG(ERR, MLX4R_PORT_FMT ": intr_conf.rxq: no interrupt handle",
				MLX4R_PORT_ARGS(port));
			return -ENOMEM;
		}
		port->rx_intr = h;
	}
	if (rte_intr_nb_efd_get(h) == n) {
		/* a reset's start: the application's registrations stay */
		eth_dev->intr_handle = h;
		return 0;
	}
	rte_intr_vec_list_free(h);
	if (rte_intr_vec_list_alloc(h, NULL, n) != 0) {
		DRV_LOG(ERR, MLX4R_PORT_FMT ": intr_conf.rxq: no interrupt vector for %u Rx queues",
			MLX4R_PORT_ARGS(port), n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct mlx4r_rxq_intr *in = *mlx4r_intr_slot(port, i);

		if (in == NULL ||
		    rte_intr_vec_list_index_set(h, i,
				RTE_INTR_VEC_RXTX_OFFSET + i) != 0 ||
		    rte_intr_efds_index_set(h, i, in->epfd) != 0) {
			DRV_LOG(ERR, MLX4R_PORT_FMT " Rx queue %u: intr_conf.rxq: no interrupt vector entry",
				MLX4R_PORT_ARGS(port), i);
			rte_intr_vec_list_free(h);
			return -ENOMEM;
		}
	}
	if (rte_intr_nb_efd_set(h, n) != 0) {
		rte_intr_vec_list_free(h);
		return -ENOMEM;
	}
	eth_dev->intr_handle = h;
	return 0;
}

/*
 * The application stopped or closed the port: its registrations go (as
 * upstream's mlx4_rx_intr_vec_disable: rte_intr_free_epoll_fd), the
 * vector too. @p close: the handle as well.
 */
void
mlx4r_intr_port_stop(struct mlx4r_port *port, bool close)
{
	struct rte_intr_handle *h = port->rx_intr;

	if (h == NULL)
		return;
	rte_intr_free_epoll_fd(h);
	rte_intr_vec_list_free(h);
	rte_intr_nb_efd_set(h, 0);
	if (!close)
		return;
	if (port->eth_dev->intr_handle == h)
		port->eth_dev->intr_handle = NULL;
	rte_intr_instance_free(h);
	port->rx_intr = NULL;
}

/*
 * The lcore side: like a burst, inside the queue's marker (mlx4r_rxtx.c
 * MLX4R_BURST_ENTER/LEAVE, the lcore's half of mlx4r_quiesce.c). Only a
 * primary has the Rx interrupt ops (a secondary's are
 * mlx4r_dev_ops_secondary's): its lcores' tag.
 */
static inline bool
mlx4r_intr_enter(struct mlx4r_rxq *rxq)
{
	__atomic_store_n(&rxq->in_burst, MLX4R_TAG_PRIMARY, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return !__atomic_load_n(&rxq->barred, __ATOMIC_ACQUIRE);
}

static inline void
mlx4r_intr_leave(struct mlx4r_rxq *rxq)
{
	__atomic_store_n(&rxq->in_burst, 0, __ATOMIC_RELEASE);
}

static struct mlx4r_rxq_intr *
mlx4r_intr_of(struct rte_eth_dev *eth_dev, uint16_t idx,
	      struct mlx4r_rxq **rxq, const char *what)
{
	struct mlx4r_port *port = mlx4r_port_of(eth_dev);
	struct mlx4r_rxq_intr *in;

	*rxq = mlx4r_port_rxq(port, idx);
	if (!mlx4r_intr_rxq_on(port)) {
		DRV_LOG(ERR, "port %u Rx queue %u: %s: Rx interrupts need dev_conf.intr_conf.rxq = 1",
			eth_dev->data->port_id, idx, what);
		return NULL;
	}
	in = *rxq == NULL ? NULL : *mlx4r_intr_slot(port, idx);
	if (in == NULL)
		DRV_LOG(ERR, "port %u Rx queue %u: %s: queue not set up and started",
			eth_dev->data->port_id, idx, what);
	return in;
}

int
mlx4r_rx_intr_enable(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_rxq_intr *in;
	struct mlx4r_rxq *rxq;
	uint32_t sn, ci, cmd = MLX4_CQ_DB_REQ_NOT;
	uint64_t db;

	in = mlx4r_intr_of(eth_dev, idx, &rxq, "enable");
	if (in == NULL)
		return -EINVAL;
	if (!mlx4r_intr_enter(rxq) || in->ch == NULL) {
		/* barred: the kick after the unbar brings the caller back */
		mlx4r_intr_leave(rxq);
		return 0;
	}
	if (in->cq_db_reg == NULL) {
		mlx4r_intr_leave(rxq);
		return -ENOTSUP;
	}
	sn = in->arm_sn & 3;
	ci = rxq->cq_ci & MLX4R_CQ_DB_CI_MASK;
	*in->arm_db = rte_cpu_to_be_32(sn << 28 | cmd | ci);
	/* the doorbell record before the doorbell (libmlx4 mlx4_arm_cq) */
	rte_wmb();
	db = (uint64_t)(sn << 28 | cmd | in->cqn) << 32 | ci;
	rte_write64(rte_cpu_to_be_64(db), in->cq_db_reg);
	mlx4r_hw_cq_armed(rxq->cq);
	mlx4r_intr_leave(rxq);
	return 0;
}

int
mlx4r_rx_intr_disable(struct rte_eth_dev *eth_dev, uint16_t idx)
{
	struct mlx4r_rxq_intr *in;
	struct mlx4r_rxq *rxq;
	struct mlx4r_hw_cq *cq;
	uint64_t v;
	ssize_t n;
	int ret;

	in = mlx4r_intr_of(eth_dev, idx, &rxq, "disable");
	if (in == NULL)
		return -EINVAL;
	/* the driver's wake, if any, is read: the fd is quiet again */
	n = read(in->kick_fd, &v, sizeof(v));
	RTE_SET_USED(n);
	if (!mlx4r_intr_enter(rxq) || in->ch == NULL) {
		mlx4r_intr_leave(rxq);
		return -EAGAIN;
	}
	ret = mlx4r_hw_get_cq_event(in->ch, &cq);
	if (ret == 0 && cq != rxq->cq) {
		/* one channel per CQ: cannot happen unless the device lies */
		mlx4r_hw_ack_cq_events(cq, 1);
		ret = -EINVAL;
	} else if (ret == 0) {
		/* counted, so the next arm is a new one (mlx4_cq_event) */
		in->arm_sn++;
		mlx4r_hw_ack_cq_events(cq, 1);
	}
	mlx4r_intr_leave(rxq);
	return ret;
}
