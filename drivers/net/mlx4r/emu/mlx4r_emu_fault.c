/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fault injection of the emulated ConnectX-3: catastrophic error and the
 * way back, on Linux's timeline (mlx4r_emu_fault_fatal() in mlx4r_emu.h:
 * dead, detected and dying, gone with every context disassociated, back
 * under its name in a new incarnation, optionally failing N times and
 * taking a slow firmware reset), command failures and timeouts, link
 * flaps, a QP or WQ forced to error, lost doorbells.
 */

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "mlx4r_emu_priv.h"

static void
emu_sleep_ms(uint32_t ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* An injected command failure (or timeout) for op, if one is due. */
static int
emu_cmd_fault(struct emu_dev *dev, uint32_t op)
{
	if (dev->cmd_count == 0 || !(dev->cmd_mask & op))
		return 0;
	dev->cmd_count--;
	if (dev->cmd_delay_ms != 0)
		emu_sleep_ms(dev->cmd_delay_ms);
	return -dev->cmd_err;
}

/*
 * The catastrophic error's timeline (mlx4r_emu_fault_fatal()).
 */

/* A duration of the way back, scaled by conf.catas_time_pct. */
static uint64_t
emu_catas_ns(const struct emu_dev *dev, uint32_t ms)
{
	return (uint64_t)ms * dev->conf.catas_time_pct * 10000u;
}

/*
 * Linux's ib_unregister_device() of the dying device, for one context
 * (dev->lock held): uverbs disassociates it (ib_uverbs_free_hw_resources()
 * -> uverbs_destroy_ufile_hw(RDMA_REMOVE_DRIVER_REMOVE)): the kernel
 * destroys its objects, so nothing of it reaches the engine any more (its
 * rules leave the ports), and every later command fails with EIO. The
 * objects stay allocated here until the driver destroys them or closes
 * the context: their memory (queues, doorbell records, the UAR page the
 * kernel would have replaced by a zeroed one, rdma_umap_fault()) stays
 * valid for a late burst.
 */
static void
emu_ctx_disassociate(struct emu_ctx *ctx)
{
	if (ctx->disassoc)
		return;
	ctx->disassoc = true;
	emu_detach_flows_locked(ctx);
}

/* Move a catastrophic error on to the phase of now; dev->lock held. */
void
emu_catas_advance(struct emu_dev *dev)
{
	struct emu_catas *c = &dev->catas;
	struct emu_ctx *ctx;
	uint64_t now;
	unsigned int i;

	if (c->phase == MLX4R_EMU_CATAS_NONE)
		return;
	now = emu_mono_ns();
	if (c->phase == MLX4R_EMU_CATAS_DEAD && now >= c->detect_ns) {
		c->phase = MLX4R_EMU_CATAS_ERROR;
		EMU_LOG(NOTICE, "%s: catastrophic error detected", dev->name);
		/* commands waiting in emu_cmd_check() fail now */
		pthread_cond_broadcast(&dev->catas_cond);
	}
	if (c->hold)
		return; /* mlx4r_emu_fault_catas_hold(): ERROR or GONE stay */
	if (c->phase == MLX4R_EMU_CATAS_ERROR && now >= c->gone_ns) {
		TAILQ_FOREACH(ctx, &dev->ctxs, next)
			emu_ctx_disassociate(ctx);
		c->phase = MLX4R_EMU_CATAS_GONE;
		EMU_LOG(NOTICE, "%s: unregistered, contexts disassociated",
			dev->name);
	}
	if (c->phase == MLX4R_EMU_CATAS_GONE && now >= c->back_ns) {
		for (i = 0; i < dev->conf.nb_ports; i++) {
			__atomic_store_n(&dev->link_up_due[i], 0,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&dev->port[i].link_up, true,
					 __ATOMIC_RELAXED);
		}
		/*
		 * The new incarnation first, then fatal cleared with release:
		 * a hook that loads fatal == false (acquire, emu_ctx_frozen())
		 * sees the new incarnation and leaves an old context's
		 * objects alone.
		 */
		__atomic_store_n(&dev->incarnation, dev->incarnation + 1,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&dev->fatal, false, __ATOMIC_RELEASE);
		c->phase = MLX4R_EMU_CATAS_NONE;
		c->slow_open = true;
		EMU_LOG(NOTICE, "%s: re-created, incarnation %u", dev->name,
			dev->incarnation);
	}
}

void
mlx4r_emu_fault_catas_hold(struct mlx4r_emu_dev *edev, bool hold)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	pthread_mutex_lock(&dev->lock);
	dev->catas.hold = hold;
	pthread_mutex_unlock(&dev->lock);
}

bool
emu_ctx_disassociated(struct emu_ctx *ctx)
{
	emu_catas_advance(ctx->dev);
	return ctx->disassoc ||
	       ctx->hw.incarnation != ctx->dev->incarnation;
}

/*
 * Gate of every firmware command (all but the destroys, query_device and
 * alloc_pd);
 * dev->lock held. During a catastrophic error a disassociated context gets
 * -EIO (uverbs), a command before the detection waits for it and then
 * fails with -EIO (the firmware does not answer: mlx4_cmd_wait() until
 * mlx4_enter_error_state() wakes it, mlx4_cmd_wake_completions()), one
 * after it fails at once (mlx4_cmd() in internal error). Otherwise an
 * injected command fault with its errno, after its delay.
 */
int
emu_cmd_check(struct emu_ctx *ctx, uint32_t op)
{
	struct emu_dev *dev = ctx->dev;
	struct timespec ts;

	for (;;) {
		if (emu_ctx_disassociated(ctx))
			return -EIO;
		if (dev->catas.phase == MLX4R_EMU_CATAS_NONE)
			return emu_cmd_fault(dev, op);
		if (dev->catas.phase != MLX4R_EMU_CATAS_DEAD)
			return -EIO;
		ts.tv_sec = (time_t)(dev->catas.detect_ns / 1000000000u);
		ts.tv_nsec = (long)(dev->catas.detect_ns % 1000000000u);
		pthread_cond_timedwait(&dev->catas_cond, &dev->lock, &ts);
	}
}

/*
 * Gate of the commands the kernel answers without the firmware; dev->lock
 * held: the legacy QUERY_DEVICE, from the attributes read at registration
 * (Linux 6.1 uverbs_cmd.c ib_uverbs_query_device() copies ib_dev->attrs),
 * and ALLOC_PD, a bitmap allocation (mlx4_ib_alloc_pd() ->
 * mlx4_pd_alloc()). They succeed on a dead or dying device and fail only
 * once the context is disassociated: a health check on query_device never
 * sees the error.
 */
int
emu_sw_check(struct emu_ctx *ctx, uint32_t op)
{
	struct emu_dev *dev = ctx->dev;

	if (emu_ctx_disassociated(ctx))
		return -EIO;
	if (dev->catas.phase != MLX4R_EMU_CATAS_NONE)
		return 0;
	return emu_cmd_fault(dev, op);
}

/*
 * Gate of open_device for context @p ctx; dev->lock held. Dead but not
 * detected: the open works (a context on the dying device, which gets its
 * DEVICE_FATAL and its disassociation with the others); detected and
 * dying: -EAGAIN (mlx4_ib_alloc_ucontext() refuses while !ib_active);
 * unregistered: -ENODEV (rdma-core does not list it). The first opens of
 * the re-created device may be made to fail, or to be slow.
 */
int
emu_open_check(struct emu_dev *dev, struct emu_ctx *ctx)
{
	struct emu_catas *c = &dev->catas;
	uint64_t now;

	emu_catas_advance(dev);
	switch (c->phase) {
	case MLX4R_EMU_CATAS_ERROR:
		return -EAGAIN;
	case MLX4R_EMU_CATAS_GONE:
		return -ENODEV;
	case MLX4R_EMU_CATAS_DEAD:
		now = emu_mono_ns();
		emu_ctx_post_event(ctx, IBV_EVENT_DEVICE_FATAL, NULL, 0,
				   c->detect_ns > now ? c->detect_ns - now : 0);
		emu_ctx_post_event(ctx, IBV_EVENT_DEVICE_FATAL, NULL, 0,
				   c->gone_ns > now ? c->gone_ns - now : 0);
		if (dev->conf.legacy_disassoc)
			ctx->ev_close_ns = c->gone_ns;
		break;
	default:
		if (!c->slow_open)
			break;
		if (dev->reinit_fail != 0) {
			dev->reinit_fail--;
			EMU_LOG(NOTICE, "%s: re-initialisation fails (%u more)",
				dev->name, dev->reinit_fail);
			return -EIO;
		}
		if (dev->fw_reset_ms != 0)
			emu_sleep_ms(dev->fw_reset_ms);
		c->slow_open = false;
		break;
	}
	return emu_cmd_fault(dev, MLX4R_EMU_OP_OPEN);
}

/*
 * legacy_disassoc: close the event queue of @p ctx once due (ev_lock
 * held): the write end of the hang-up pipe goes, so that the async fd
 * polls readable for ever, as an is_closed event file polls EPOLLERR.
 */
void
emu_ctx_ev_close_due(struct emu_ctx *ctx, uint64_t now)
{
	if (ctx->ev_close_ns == 0 || ctx->ev_closed || now < ctx->ev_close_ns)
		return;
	ctx->ev_closed = true;
	if (ctx->hup[1] >= 0) {
		close(ctx->hup[1]);
		ctx->hup[1] = -1;
	}
}

int
mlx4r_emu_fault_fatal(struct mlx4r_emu_dev *edev, uint32_t detect_ms)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_catas *c = &dev->catas;
	struct emu_ctx *ctx;
	uint64_t now, detect;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	emu_catas_advance(dev);
	if (c->phase != MLX4R_EMU_CATAS_NONE) {
		ret = -EALREADY;
		goto out;
	}
	/*
	 * Hooks on any lcore load fatal at entry: a burst in flight may
	 * finish, the next one does nothing, as when a chip stops between
	 * two doorbells.
	 */
	__atomic_store_n(&dev->fatal, true, __ATOMIC_RELAXED);
	now = emu_mono_ns();
	detect = (uint64_t)detect_ms * 1000000u;
	c->phase = MLX4R_EMU_CATAS_DEAD;
	c->detect_ns = now + detect;
	c->gone_ns = c->detect_ns +
		     emu_catas_ns(dev, MLX4R_EMU_CATAS_UNLOAD_MS);
	c->back_ns = c->gone_ns + emu_catas_ns(dev, MLX4R_EMU_CATAS_RELOAD_MS) +
		     (uint64_t)dev->absent_ms * 1000000u;
	dev->absent_ms = 0;
	/*
	 * DEVICE_FATAL at the detection (mlx4_ib_event() for
	 * MLX4_DEV_EVENT_CATASTROPHIC_ERROR), and again at the
	 * disassociation (uverbs_async_event_destroy_uobj() queues one for
	 * RDMA_REMOVE_DRIVER_REMOVE), on every context's async fd.
	 */
	emu_dev_post_event(dev, IBV_EVENT_DEVICE_FATAL, 0, detect);
	emu_dev_post_event(dev, IBV_EVENT_DEVICE_FATAL, 0, c->gone_ns - now);
	if (dev->conf.legacy_disassoc) {
		TAILQ_FOREACH(ctx, &dev->ctxs, next) {
			rte_spinlock_lock(&ctx->ev_lock);
			ctx->ev_close_ns = c->gone_ns;
			rte_spinlock_unlock(&ctx->ev_lock);
		}
	}
	EMU_LOG(NOTICE, "%s: catastrophic error injected (detected in %u ms)",
		dev->name, detect_ms);
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_fault_cmd(struct mlx4r_emu_dev *edev, uint32_t op_mask,
		    uint32_t count, int err, uint32_t delay_ms)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	/* err 0: slow commands that succeed, after their delay */
	if (count != 0 && (err < 0 || (err == 0 && delay_ms == 0)))
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	dev->cmd_mask = op_mask;
	dev->cmd_count = count;
	dev->cmd_err = err;
	dev->cmd_delay_ms = delay_ms;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_fault_reinit_fail(struct mlx4r_emu_dev *edev, uint32_t n)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	pthread_mutex_lock(&dev->lock);
	dev->reinit_fail = n;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_fault_reappear_delay(struct mlx4r_emu_dev *edev, uint32_t ms)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	pthread_mutex_lock(&dev->lock);
	emu_catas_advance(dev);
	if (dev->catas.phase == MLX4R_EMU_CATAS_NONE)
		dev->absent_ms = ms; /* for the next error */
	else
		dev->catas.back_ns = RTE_MAX(dev->catas.back_ns,
					     emu_mono_ns() +
					     (uint64_t)ms * 1000000u);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_fault_fw_reset_delay(struct mlx4r_emu_dev *edev, uint32_t delay_ms)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	pthread_mutex_lock(&dev->lock);
	dev->fw_reset_ms = delay_ms;
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

static int
emu_link_change(struct emu_dev *dev, uint8_t port_num, bool up,
		uint32_t up_after_ms)
{
	struct emu_port *port = emu_dev_port(dev, port_num);
	bool was;

	if (port == NULL)
		return -EINVAL;
	pthread_mutex_lock(&dev->lock);
	emu_dev_run_timers(dev);
	__atomic_store_n(&dev->link_up_due[port_num - 1], 0, __ATOMIC_RELAXED);
	was = __atomic_exchange_n(&port->link_up, up, __ATOMIC_RELAXED);
	if (was != up)
		emu_dev_post_event(dev, up ? IBV_EVENT_PORT_ACTIVE :
				   IBV_EVENT_PORT_ERR, port_num, 0);
	if (!up && up_after_ms != 0) {
		__atomic_store_n(&dev->link_up_due[port_num - 1],
				 emu_mono_ns() + (uint64_t)up_after_ms * 1000000u,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&dev->timers_pending, true, __ATOMIC_RELAXED);
		emu_dev_post_event(dev, IBV_EVENT_PORT_ACTIVE, port_num,
				   (uint64_t)up_after_ms * 1000000u);
	}
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int
mlx4r_emu_link_get(struct mlx4r_emu_dev *edev, uint8_t port_num)
{
	struct emu_port *port = emu_dev_port((struct emu_dev *)edev,
					     port_num);

	if (port == NULL)
		return -EINVAL;
	emu_dev_run_timers((struct emu_dev *)edev);
	return __atomic_load_n(&port->link_up, __ATOMIC_RELAXED) ? 1 : 0;
}

int
mlx4r_emu_link_set(struct mlx4r_emu_dev *dev, uint8_t port, bool up)
{
	return emu_link_change((struct emu_dev *)dev, port, up, 0);
}

int
mlx4r_emu_fault_link_flap(struct mlx4r_emu_dev *dev, uint8_t port,
			  uint32_t down_ms)
{
	return emu_link_change((struct emu_dev *)dev, port, false, down_ms);
}

/* A QP to error, as a local work queue catastrophic error; dev->lock. */
static void
emu_qp_error_locked(struct emu_qp *qp)
{
	rte_spinlock_lock(&qp->lock);
	__atomic_store_n(&qp->state, IBV_QPS_ERR, __ATOMIC_RELEASE);
	rte_spinlock_unlock(&qp->lock);
	qp->hw.state = IBV_QPS_ERR;
	emu_ctx_post_event(qp->ctx, IBV_EVENT_QP_FATAL, &qp->hw, 0, 0);
}

int
mlx4r_emu_fault_qp_error_port(struct mlx4r_emu_dev *edev, uint8_t port)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_ctx *ctx;
	struct emu_qp *qp;
	int ret = -ENOENT;

	pthread_mutex_lock(&dev->lock);
	TAILQ_FOREACH(ctx, &dev->ctxs, next) {
		TAILQ_FOREACH(qp, &ctx->qps, next)
			if (qp->hw.kind == MLX4R_HW_QP_RAW_TX &&
			    qp->port == port && qp->hw.state != IBV_QPS_RESET)
				break;
		if (qp != NULL) {
			emu_qp_error_locked(qp);
			ret = (int)qp->hw.qpn;
			break;
		}
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_fault_qp_error(struct mlx4r_emu_dev *edev, uint32_t qpn)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_port *port;
	struct emu_qp *qp;
	struct emu_wq *wq;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	qp = emu_dev_find_qp(dev, qpn);
	if (qp != NULL) {
		emu_qp_error_locked(qp);
		goto out;
	}
	wq = emu_dev_find_wq(dev, qpn);
	if (wq != NULL) {
		/*
		 * The hardware state only: the WQ's logical state (what the
		 * driver last set) stays, as in mlx4_ib, which never hears
		 * of it (mlx4_ib_wq_event() drops WQ events): no event; the
		 * posted WQEs are flushed with error CQEs instead.
		 */
		port = emu_dev_port(dev, wq->port);
		if (port != NULL)
			rte_spinlock_lock(&port->rx_lock);
		wq->state = IBV_WQS_ERR;
		emu_wq_flush(wq);
		if (port != NULL)
			rte_spinlock_unlock(&port->rx_lock);
		goto out;
	}
	ret = -ENOENT;
out:
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_fault_lost_doorbell(struct mlx4r_emu_dev *edev, uint32_t qpn,
			      uint32_t count)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_qp *qp;
	int ret = -ENOENT;

	pthread_mutex_lock(&dev->lock);
	qp = emu_dev_find_qp(dev, qpn);
	if (qp != NULL && qp->hw.kind == MLX4R_HW_QP_RAW_TX) {
		rte_spinlock_lock(&qp->lock);
		qp->lost_db = count;
		rte_spinlock_unlock(&qp->lock);
		ret = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void
mlx4r_emu_fault_clear(struct mlx4r_emu_dev *edev)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	struct emu_ctx *ctx;
	struct emu_qp *qp;

	pthread_mutex_lock(&dev->lock);
	dev->cmd_count = 0;
	dev->reinit_fail = 0;
	dev->fw_reset_ms = 0;
	TAILQ_FOREACH(ctx, &dev->ctxs, next)
		TAILQ_FOREACH(qp, &ctx->qps, next) {
			rte_spinlock_lock(&qp->lock);
			qp->lost_db = 0;
			rte_spinlock_unlock(&qp->lock);
		}
	pthread_mutex_unlock(&dev->lock);
}
