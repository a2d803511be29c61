/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Fault injection of the emulated ConnectX-3: catastrophic error and the
 * way back (new generation after every context was closed, optionally
 * failing N times and taking a slow firmware reset), command failures and
 * timeouts, link flaps, a QP or WQ forced to error, lost doorbells.
 */

#include <errno.h>
#include <time.h>

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
 * Gate of every command but the destroys; dev->lock held. A catastrophic
 * error fails it with -EIO; an injected command fault with its errno,
 * after its delay (the firmware's command timeout).
 */
int
emu_cmd_check(struct emu_ctx *ctx, uint32_t op)
{
	struct emu_dev *dev = ctx->dev;

	if (__atomic_load_n(&dev->fatal, __ATOMIC_RELAXED) ||
	    ctx->hw.generation != dev->generation)
		return -EIO;
	return emu_cmd_fault(dev, op);
}

/*
 * Gate of open_device; dev->lock held. After a catastrophic error the
 * device comes back only when no context is left: then a reset (which may
 * be made to fail, or to be slow) and a new generation.
 */
int
emu_open_check(struct emu_dev *dev)
{
	unsigned int i;

	if (__atomic_load_n(&dev->fatal, __ATOMIC_RELAXED)) {
		if (dev->nb_ctx != 0)
			return -EIO;
		if (dev->absent_ms != 0) {
			uint64_t now = emu_mono_ns();

			/* the absence begins with the first open after */
			if (dev->absent_until_ns == 0)
				dev->absent_until_ns = now +
					(uint64_t)dev->absent_ms * 1000000;
			if (now < dev->absent_until_ns)
				return -ENODEV;
			dev->absent_ms = 0;
			dev->absent_until_ns = 0;
		}
		if (dev->reinit_fail != 0) {
			dev->reinit_fail--;
			EMU_LOG(NOTICE, "%s: re-initialisation fails (%u more)",
				dev->name, dev->reinit_fail);
			return -EIO;
		}
		if (dev->fw_reset_ms != 0)
			emu_sleep_ms(dev->fw_reset_ms);
		dev->generation++;
		for (i = 0; i < dev->conf.nb_ports; i++) {
			__atomic_store_n(&dev->link_up_due[i], 0,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&dev->port[i].link_up, true,
					 __ATOMIC_RELAXED);
		}
		/*
		 * Engines test fatal first; every object they could reach
		 * is gone with the old contexts, so relaxed is enough.
		 */
		__atomic_store_n(&dev->fatal, false, __ATOMIC_RELAXED);
		EMU_LOG(NOTICE, "%s: back, generation %u", dev->name,
			dev->generation);
	}
	return emu_cmd_fault(dev, MLX4R_EMU_OP_OPEN);
}

int
mlx4r_emu_fault_fatal(struct mlx4r_emu_dev *edev, uint32_t detect_ms)
{
	struct emu_dev *dev = (struct emu_dev *)edev;
	int ret = 0;

	pthread_mutex_lock(&dev->lock);
	if (__atomic_load_n(&dev->fatal, __ATOMIC_RELAXED)) {
		ret = -EALREADY;
	} else {
		/*
		 * Hooks on any lcore load fatal (relaxed) at entry: a burst
		 * in flight may finish, the next one does nothing, as when
		 * a chip stops between two doorbells.
		 */
		__atomic_store_n(&dev->fatal, true, __ATOMIC_RELAXED);
		emu_dev_post_event(dev, IBV_EVENT_DEVICE_FATAL, 0,
				   (uint64_t)detect_ms * 1000000u);
		EMU_LOG(NOTICE, "%s: catastrophic error injected", dev->name);
	}
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

int
mlx4r_emu_fault_cmd(struct mlx4r_emu_dev *edev, uint32_t op_mask,
		    uint32_t count, int err, uint32_t delay_ms)
{
	struct emu_dev *dev = (struct emu_dev *)edev;

	if (count != 0 && err <= 0)
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
	dev->absent_ms = ms;
	dev->absent_until_ns = 0;
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
		rte_spinlock_lock(&qp->lock);
		__atomic_store_n(&qp->state, IBV_QPS_ERR, __ATOMIC_RELEASE);
		rte_spinlock_unlock(&qp->lock);
		qp->hw.state = IBV_QPS_ERR;
		emu_ctx_post_event(qp->ctx, IBV_EVENT_QP_FATAL, &qp->hw, 0, 0);
		goto out;
	}
	wq = emu_dev_find_wq(dev, qpn);
	if (wq != NULL) {
		port = emu_dev_port(dev, wq->port);
		if (port != NULL)
			rte_spinlock_lock(&port->rx_lock);
		wq->state = IBV_WQS_ERR;
		if (port != NULL)
			rte_spinlock_unlock(&port->rx_lock);
		wq->hw.state = IBV_WQS_ERR;
		emu_ctx_post_event(wq->ctx, IBV_EVENT_WQ_FATAL, &wq->hw, 0, 0);
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
