/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The device core of an HCA (one net_mlx4r vdev): open and close of the
 * context and the PD the ports share, the async events of the device and
 * their handler on the EAL interrupt thread, the wires of the emulated
 * device, internal loopback, ports joining and leaving, and the free of
 * the structure. Everything goes to the device through the hardware seam
 * (mlx4r_hw.h). The layers above (ports, reset machine) are told through
 * dev->events (mlx4r_core.h), never called.
 */

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include <ethdev_driver.h>

#include "mlx4r.h"
#include "mlx4r_core.h"
#include "mlx4r_mp.h"
#include "emu/mlx4r_emu.h"

static void mlx4r_dev_async_events(void *arg);

/*
 * Does the async fd report an error or a hang-up (poll() without waiting)?
 * Linux 4.5 to 5.6 closed the async event queue when it disassociated a
 * device (ib_uverbs_free_hw_resources() set is_closed on every event
 * file): its poll() then reports EPOLLERR for ever (uverbs_main.c
 * ib_uverbs_event_poll()) and read() fails with EIO. Linux 6.1 closes it
 * only when the application closes the fd, and reports DEVICE_FATAL
 * instead (uverbs_std_types_async_fd.c).
 */
static bool
mlx4r_async_fd_broken(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 &&
	       (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
}

/*
 * The async event stream of the context ended (EAL interrupt thread): the
 * fd would wake the interrupt thread for ever (EXT handles are not read by
 * EAL, and an error condition stays), so it is no longer watched; the
 * device is as good as gone: a fatal request. Called once per context.
 */
static void
mlx4r_dev_async_ended(struct mlx4r_dev *dev, int why)
{
	int ret;

	/* read by the health check on the control thread (relaxed: alone) */
	__atomic_store_n(&dev->async_ended, true, __ATOMIC_RELAXED);
	/*
	 * From inside the callback, the pending form: EAL removes it once
	 * the callback returned (rte_intr_callback_unregister() would say
	 * -EAGAIN here). mlx4r_dev_intr_uninstall() copes with a callback
	 * that is gone already.
	 */
	ret = rte_intr_callback_unregister_pending(dev->intr,
						   mlx4r_dev_async_events,
						   dev, NULL);
	DRV_LOG(ERR, "%s: the async event fd %d reports %s (the kernel closed its event queue: the device was disassociated); no longer watched%s; resetting",
		dev->name, dev->ctx->async_fd,
		why == -EAGAIN ? "an error" : strerror(-why),
		ret < 0 ? " (cannot unregister it)" : "");
	dev->events->request(dev, MLX4R_REQ_FATAL);
}

/* Read and dispatch the device's async events (EAL interrupt thread). */
static void
mlx4r_dev_async_events(void *arg)
{
	struct mlx4r_dev *dev = arg;
	struct mlx4r_hw_async_event ev;
	unsigned int n = 0;
	int ret;

	/* one writer (the interrupt thread); read by tests */
	__atomic_store_n(&dev->async_wakeups,
			 __atomic_load_n(&dev->async_wakeups,
					 __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	if (__atomic_load_n(&dev->async_ended, __ATOMIC_RELAXED))
		return; /* until EAL removed the callback */
	while ((ret = mlx4r_hw_get_async_event(dev->ctx, &ev)) == 0) {
		n++;
		switch (ev.event_type) {
		case IBV_EVENT_PORT_ACTIVE:
		case IBV_EVENT_PORT_ERR: {
			int p = ev.element.port_num;
			struct rte_eth_dev *lsc = NULL;

			/* a port closing on another thread waits for this */
			rte_spinlock_lock(&dev->ev_lock);
			if (p >= 1 && p <= MLX4R_MAX_PORTS &&
			    dev->ports[p - 1] != NULL &&
			    dev->events->link_event(dev->ports[p - 1]))
				lsc = dev->ports[p - 1]->eth_dev;
			rte_spinlock_unlock(&dev->ev_lock);
			/*
			 * The application's callback runs without ev_lock (it
			 * may close the port), fenced against close by the
			 * reset machine's raise handshake.
			 */
			if (lsc != NULL)
				dev->events->raise(dev, lsc,
						   RTE_ETH_EVENT_INTR_LSC);
			break;
		}
		case IBV_EVENT_DEVICE_FATAL:
			DRV_LOG(ERR, "%s: the device reported a fatal error",
				dev->name);
			/* the reset runs on the control thread, not here */
			dev->events->request(dev, MLX4R_REQ_FATAL);
			break;
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR: {
			bool kept = false;

			/*
			 * A QP in error (mlx4_ib_qp_event(): a local work
			 * queue catastrophic error, ...): a Tx queue is
			 * repaired without a device reset (mlx4r_repair.c),
			 * which the control thread decides, by the handle.
			 */
			DRV_LOG(ERR, "%s: QP error event %d", dev->name,
				ev.event_type);
			/*
			 * Kept before the event is acknowledged (below): the
			 * QP's destroy cannot return before that (libibverbs
			 * ibv_cmd_destroy_qp waits for the acknowledgement),
			 * and mlx4r_dev_destroy_qp() takes the handle out
			 * after it returned, under qp_err_lock, whose unlock
			 * here is ordered before its lock there.
			 */
			rte_spinlock_lock(&dev->qp_err_lock);
			if (dev->nb_qp_errs < RTE_DIM(dev->qp_errs)) {
				dev->qp_errs[dev->nb_qp_errs++] =
					ev.element.qp;
				kept = true;
			}
			rte_spinlock_unlock(&dev->qp_err_lock);
			/* too many at once: reset the HCA */
			dev->events->request(dev, kept ? MLX4R_REQ_REPAIR :
					     MLX4R_REQ_QUEUE);
			break;
		}
		case IBV_EVENT_WQ_FATAL:
		case IBV_EVENT_CQ_ERR:
			/*
			 * A CQ overrun, or a WQ event (which mlx4_ib never
			 * delivers: qp.c mlx4_ib_wq_event()): reset the HCA.
			 */
			DRV_LOG(ERR, "%s: queue error event %d", dev->name,
				ev.event_type);
			dev->events->request(dev, MLX4R_REQ_QUEUE);
			break;
		case IBV_EVENT_GID_CHANGE:
			/* normal on RoCE ports: an address came or went */
			DRV_LOG(DEBUG, "%s: GID table of port %d changed",
				dev->name, ev.element.port_num);
			break;
		default:
			DRV_LOG(ERR, "%s: async event %d not handled",
				dev->name, ev.event_type);
			break;
		}
		mlx4r_hw_ack_async_event(dev->ctx, &ev);
	}
	/*
	 * The end of the stream: an error other than "nothing pending"
	 * (EIO of a closed queue), or a wake-up with nothing to read on an
	 * fd in error. Without this the interrupt thread would call us in
	 * a loop for as long as the context lives.
	 */
	if (ret != -EAGAIN ||
	    (n == 0 && mlx4r_async_fd_broken(dev->ctx->async_fd)))
		mlx4r_dev_async_ended(dev, ret);
}

/*
 * Take the QPs that async events reported in error (control thread). To
 * compare them with the queues' QPs, the caller holds the control lock
 * from before this until after the comparison: no QP can be destroyed
 * meanwhile, and so no handle taken can stand for a new QP.
 */
unsigned int
mlx4r_dev_take_qp_errors(struct mlx4r_dev *dev, void **qps, unsigned int max)
{
	unsigned int n;

	rte_spinlock_lock(&dev->qp_err_lock);
	n = RTE_MIN(dev->nb_qp_errs, max);
	memcpy(qps, dev->qp_errs, n * sizeof(*qps));
	dev->nb_qp_errs = 0;
	rte_spinlock_unlock(&dev->qp_err_lock);
	return n;
}

/*
 * Health check of the device (control thread, no lock held: only that
 * thread changes dev->ctx while the device is live). Not query_device:
 * the kernel answers the legacy QUERY_DEVICE from its copy of the
 * attributes (Linux uverbs_cmd.c ib_uverbs_query_device()), so it never
 * fails before the device is disassociated. Instead: the async fd's state
 * (no syscall to the device), then a firmware command, QUERY_PORT, which
 * mlx4_ib issues for every query_port of an Ethernet port
 * (mlx4_ib_query_port() -> eth_link_query_port()) and which fails with
 * EIO in catastrophic error (mlx4_cmd() -> mlx4_internal_err_ret_value()).
 * On a dead device that the kernel has not detected yet, the command
 * waits for the detection (catas.c polls every 5 s): so may this.
 * @return 0, or -EIO.
 */
int
mlx4r_dev_health(struct mlx4r_dev *dev)
{
	struct ibv_port_attr pa;

	if (__atomic_load_n(&dev->async_ended, __ATOMIC_RELAXED) ||
	    mlx4r_async_fd_broken(dev->ctx->async_fd))
		return -EIO;
	return mlx4r_hw_query_port(dev->ctx, 1, &pa) == -EIO ? -EIO : 0;
}

void
mlx4r_dev_intr_uninstall(struct mlx4r_dev *dev)
{
	int ret;

	if (dev->intr == NULL)
		return;
	/*
	 * -EAGAIN while the handler runs on the interrupt thread: retry;
	 * -ENOENT when it removed itself (mlx4r_dev_async_ended()).
	 */
	do {
		ret = rte_intr_callback_unregister(dev->intr,
						   mlx4r_dev_async_events, dev);
		if (ret == -EAGAIN)
			rte_delay_us_sleep(1000);
	} while (ret == -EAGAIN);
	rte_intr_instance_free(dev->intr);
	dev->intr = NULL;
}

int
mlx4r_dev_intr_install(struct mlx4r_dev *dev)
{
	int ret;

	/* a new context: its stream is open (no handler runs yet) */
	__atomic_store_n(&dev->async_ended, false, __ATOMIC_RELAXED);
	dev->intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->intr == NULL)
		return -ENOMEM;
	if (rte_intr_fd_set(dev->intr, dev->ctx->async_fd) != 0 ||
	    rte_intr_type_set(dev->intr, RTE_INTR_HANDLE_EXT) != 0) {
		ret = -rte_errno;
		goto error;
	}
	ret = rte_intr_callback_register(dev->intr, mlx4r_dev_async_events,
					 dev);
	if (ret < 0)
		goto error;
	return 0;
error:
	INIT_LOG(ERR, "%s: cannot watch the async event fd: %s", dev->name,
		 rte_strerror(-ret));
	rte_intr_instance_free(dev->intr);
	dev->intr = NULL;
	return ret;
}

/* Cable a port of the emulated device as its devargs say. */
static int
mlx4r_dev_wire(struct mlx4r_dev *dev, unsigned int idx)
{
	const struct mlx4r_port_args *pa = &dev->args.port[idx];
	struct mlx4r_emu_dev *emu = mlx4r_emu_dev_lookup(dev->name);
	struct mlx4r_emu_gen_conf gen;
	uint8_t p = idx + 1;
	int ret;

	if (emu == NULL)
		return -ENODEV;
	switch (pa->wire) {
	case MLX4R_WIRE_GEN:
		ret = mlx4r_emu_wire_peer(emu, p);
		if (ret < 0)
			break;
		memset(&gen, 0, sizeof(gen));
		gen.rate_pps = pa->gen_rate;
		gen.frame_size = pa->gen_size;
		gen.nb_flows = pa->gen_flows;
		gen.dst_port = pa->gen_dport;
		ret = mlx4r_emu_gen_start(emu, p, &gen);
		break;
	case MLX4R_WIRE_XCONNECT:
		ret = idx == 0 ? mlx4r_emu_wire_xconnect(emu, 1, emu, 2) : 0;
		break;
	case MLX4R_WIRE_LOOPBACK:
		ret = mlx4r_emu_wire_loopback(emu, p);
		break;
	case MLX4R_WIRE_TAP:
		ret = mlx4r_emu_wire_tap(emu, p, pa->tap_name, NULL);
		break;
	default:
		ret = mlx4r_emu_wire_none(emu, p);
		break;
	}
	if (ret < 0)
		INIT_LOG(ERR, "%s: cannot cable port %u to wire %s: %s",
			 dev->name, p, mlx4r_wire_name(pa->wire),
			 strerror(-ret));
	return ret;
}

/*
 * Internal loopback (lpbk_mode=1): Tx WQEs carry the force-loopback bit;
 * on the emulated device a port cabled to the generator is unplugged
 * meanwhile, so that the port hears only itself, as with a PHY in
 * loopback.
 */
int
mlx4r_dev_lpbk(struct mlx4r_port *port, bool on)
{
	struct mlx4r_dev *dev = port->dev;
	struct mlx4r_emu_dev *emu;
	unsigned int idx = port->port_num - 1;
	int ret;

	if (dev->args.backend != MLX4R_BACKEND_EMU ||
	    dev->args.port[idx].wire != MLX4R_WIRE_GEN)
		return 0;
	if (!on) {
		/*
		 * Re-cable only what loopback unplugged: re-cabling restarts
		 * the generator, whose counters must run on across stops
		 * and resets (applications account for every frame).
		 */
		if (!port->gen_unplugged)
			return 0;
		port->gen_unplugged = false;
		return mlx4r_dev_wire(dev, idx);
	}
	if (port->gen_unplugged)
		return 0;
	emu = mlx4r_emu_dev_lookup(dev->name);
	ret = emu == NULL ? -ENODEV : mlx4r_emu_wire_none(emu, port->port_num);
	if (ret == 0)
		port->gen_unplugged = true;
	return ret;
}

/* Open the device and what the ports share: context, PD, events. */
int
mlx4r_dev_open(struct mlx4r_dev *dev)
{
	struct ibv_port_attr pa;
	unsigned int i;
	int ret;

	if (dev->args.backend == MLX4R_BACKEND_VERBS) {
		char err[256];

		dev->ops = mlx4r_hw_verbs_backend(err, sizeof(err));
		if (dev->ops == NULL) {
			INIT_LOG(ERR, "%s: backend=verbs: cannot load the rdma-core backend (librte_net_mlx4r_verbs.so; needs libibverbs1 and ibverbs-providers): %s",
				 dev->name, err);
			return -ENOTSUP;
		}
	} else {
		dev->ops = &mlx4r_hw_emu_ops;
	}
	if (dev->args.backend == MLX4R_BACKEND_EMU) {
		struct mlx4r_emu_dev_conf conf = {
			.nb_ports = dev->args.nb_ports,
			.catas_time_pct = dev->args.catas_time_pct,
			.pro = dev->args.model_pro,
			.engine_thread = dev->args.engine_thread,
			.engine_cpu_set = dev->args.engine_cpu_set,
			.engine_cpu = dev->args.engine_cpu,
		};
		unsigned int l;

		/* both spin: on one CPU each runs only in the other's slices */
		RTE_LCORE_FOREACH(l) {
			rte_cpuset_t cs = rte_lcore_cpuset(l);

			if (conf.engine_cpu_set && CPU_ISSET(conf.engine_cpu, &cs))
				INIT_LOG(WARNING, "%s: devarg engine_cpu=%u: lcore %u may run on CPU %u too: the device's thread and a polling lcore would share it",
					 dev->name, conf.engine_cpu, l,
					 conf.engine_cpu);
		}

		ret = mlx4r_emu_dev_create(dev->name, &conf);
		if (ret == 0) {
			dev->emu_owned = true;
		} else if (ret != -EEXIST) {
			INIT_LOG(ERR, "%s: cannot create the emulated device: %s",
				 dev->name, strerror(-ret));
			return ret;
		}
		/* -EEXIST: a device the application configured itself */
	}
	ret = mlx4r_hw_open_device(dev->ops,
		dev->args.backend == MLX4R_BACKEND_VERBS ? dev->args.ibdev :
		dev->name, &dev->ctx);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: cannot open the %s device %s: %s", dev->name,
			 mlx4r_backend_name(dev->args.backend),
			 dev->args.backend == MLX4R_BACKEND_VERBS ?
			 dev->args.ibdev : dev->name, strerror(-ret));
		return ret;
	}
	if (dev->ctx->nb_ports < dev->args.nb_ports) {
		INIT_LOG(ERR, "%s: ports=%u but the device has %u", dev->name,
			 dev->args.nb_ports, dev->ctx->nb_ports);
		return -EINVAL;
	}
	for (i = 0; i < dev->args.nb_ports; i++) {
		ret = mlx4r_hw_query_port(dev->ctx, i + 1, &pa);
		if (ret == 0 && pa.link_layer != IBV_LINK_LAYER_ETHERNET)
			ret = -EPROTONOSUPPORT;
		if (ret < 0) {
			INIT_LOG(ERR, "%s: port %u is not usable: %s",
				 dev->name, i + 1, strerror(-ret));
			return ret;
		}
	}
	ret = mlx4r_hw_alloc_pd(dev->ctx, &dev->pd);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: cannot allocate a PD: %s", dev->name,
			 strerror(-ret));
		return ret;
	}
	if (dev->args.backend == MLX4R_BACKEND_EMU) {
		for (i = 0; i < dev->args.nb_ports; i++) {
			ret = mlx4r_dev_wire(dev, i);
			if (ret < 0)
				return ret;
		}
	}
	return mlx4r_dev_intr_install(dev);
}

void
mlx4r_dev_ctx_close(struct mlx4r_dev *dev)
{
	/* no secondary's CMD_FD answer carries its file from now on */
	mlx4r_mp_unpublish(dev);
	/* every MR before its PD (the ranges stay for a reset's re-open) */
	mlx4r_mr_drop_keys(dev);
	if (dev->pd != NULL) {
		mlx4r_hw_dealloc_pd(dev->pd);
		dev->pd = NULL;
	}
	if (dev->ctx != NULL) {
		mlx4r_hw_close_device(dev->ctx);
		dev->ctx = NULL;
	}
}

void
mlx4r_dev_core_free(struct mlx4r_dev *dev)
{
	unsigned int p, i;

	mlx4r_dev_ctx_close(dev);
	mlx4r_mr_fini(dev);
	/*
	 * The queue structures go only now (type-stable, mlx4r.h): every
	 * port was closed, so every queue was released. The tag is cleared
	 * first so that a stale pointer is refused for as long as the memory
	 * is not reused.
	 */
	for (p = 0; p < MLX4R_MAX_PORTS; p++) {
		for (i = 0; i < MLX4R_MAX_QUEUES; i++) {
			if (dev->rxq_store[p][i] != NULL) {
				__atomic_store_n(&dev->rxq_store[p][i]->tag, 0,
						 __ATOMIC_RELAXED);
				rte_free(dev->rxq_store[p][i]);
			}
			if (dev->txq_store[p][i] != NULL) {
				__atomic_store_n(&dev->txq_store[p][i]->tag, 0,
						 __ATOMIC_RELAXED);
				rte_free(dev->txq_store[p][i]);
			}
		}
	}
	mlx4r_intr_dev_free(dev);
	if (dev->emu_owned && mlx4r_emu_dev_destroy(dev->name) < 0)
		INIT_LOG(ERR, "%s: the emulated device stays", dev->name);
	rte_free(dev);
}

/* A new port joins the device core (probe, before its ethdev is ready). */
void
mlx4r_dev_port_join(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	dev->ports[port->port_num - 1] = port;
	dev->nb_live_ports++;
}

/*
 * A closing port leaves the device core, once its queues are gone.
 * @return true if it was the last: the caller frees the device.
 */
bool
mlx4r_dev_port_leave(struct mlx4r_dev *dev, struct mlx4r_port *port)
{
	bool last;

	/*
	 * Two ports may close at once (an application thread and a removal
	 * callback on the reset thread): the count moves under ev_lock too.
	 */
	rte_spinlock_lock(&dev->ev_lock);
	dev->ports[port->port_num - 1] = NULL;
	last = --dev->nb_live_ports == 0;
	rte_spinlock_unlock(&dev->ev_lock);
	port->dev = NULL;
	return last;
}
