/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * Probe and removal of a net_mlx4r vdev: devargs, the device core (one per
 * HCA) and one ethdev per physical port.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_interrupts.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>

#include "mlx4r.h"
#include "rte_pmd_mlx4r.h"
#include "emu/mlx4r_emu.h"

RTE_LOG_REGISTER_DEFAULT(mlx4r_logtype, NOTICE);
RTE_LOG_REGISTER_SUFFIX(mlx4r_logtype_init, init, NOTICE);

#define MLX4R_ARG_PORTS "ports"
#define MLX4R_ARG_BACKEND "backend"
#define MLX4R_ARG_MAX_QUEUES "max_queues"
#define MLX4R_ARG_WIRE "wire"
#define MLX4R_ARG_GEN_RATE "gen_rate"
#define MLX4R_ARG_GEN_SIZE "gen_size"
#define MLX4R_ARG_GEN_FLOWS "gen_flows"
#define MLX4R_ARG_IBDEV "ibdev"
/* rdma-core's name of the first ConnectX-3 of a machine */
#define MLX4R_DEFAULT_IBDEV "mlx4_0"

/* Keys that take an optional port suffix: wire=..., wire1=..., wire2=... */
static const char * const mlx4r_port_args[] = {
	MLX4R_ARG_WIRE,
	MLX4R_ARG_GEN_RATE,
	MLX4R_ARG_GEN_SIZE,
	MLX4R_ARG_GEN_FLOWS,
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
	"gen_rate[1|2], gen_size[1|2], gen_flows[1|2], recovery, " \
	"recovery_attempts, reset_deadline_ms, reinit_timeout_ms, fault"

/* Parse a decimal integer in [min, max]; -EINVAL on anything else. */
static int
mlx4r_parse_uint(const char *key, const char *value, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (value == NULL || value[0] == '\0') {
		INIT_LOG(ERR, "devarg %s: a value is required (%" PRIu64 "..%" PRIu64 ")",
			 key, min, max);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(value, &end, 0);
	if (errno != 0 || *end != '\0' || value[0] == '-' ||
	    v < min || v > max) {
		INIT_LOG(ERR, "devarg %s=%s: expected an integer in %" PRIu64 "..%" PRIu64,
			 key, value, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
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
static int
mlx4r_parse_args(const char *name, const char *params, struct mlx4r_args *args)
{
	struct rte_kvargs *kvlist;
	unsigned int i, j, pass;
	bool has_emu_args = false;
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
				has_emu_args = true;
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
	if (has_emu_args && args->backend != MLX4R_BACKEND_EMU) {
		INIT_LOG(ERR, "%s: wire and gen_* apply to the emulated device only",
			 name);
		ret = -EINVAL;
		goto out;
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

/*
 * Name of the ethdev of port @p idx (0-based) of HCA @p hca: the first port
 * keeps the vdev name, the second is "<vdev>_port2".
 */
static int
mlx4r_port_name(const char *hca, unsigned int idx, char *buf, size_t len)
{
	int n;

	if (idx == 0)
		n = snprintf(buf, len, "%s", hca);
	else
		n = snprintf(buf, len, "%s_port%u", hca, idx + 1);
	if (n < 0 || (size_t)n >= len) {
		INIT_LOG(ERR, "%s: name too long for the ethdev of port %u",
			 hca, idx + 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* Read and dispatch the device's async events (EAL interrupt thread). */
static void
mlx4r_dev_async_events(void *arg)
{
	struct mlx4r_dev *dev = arg;
	struct mlx4r_hw_async_event ev;

	while (mlx4r_hw_get_async_event(dev->ctx, &ev) == 0) {
		switch (ev.event_type) {
		case IBV_EVENT_PORT_ACTIVE:
		case IBV_EVENT_PORT_ERR: {
			int p = ev.element.port_num;
			struct rte_eth_dev *lsc = NULL;

			/* a port closing on another thread waits for this */
			rte_spinlock_lock(&dev->ev_lock);
			if (p >= 1 && p <= MLX4R_MAX_PORTS &&
			    dev->ports[p - 1] != NULL &&
			    mlx4r_port_link_event(dev->ports[p - 1]))
				lsc = dev->ports[p - 1]->eth_dev;
			rte_spinlock_unlock(&dev->ev_lock);
			/*
			 * The application's callback runs without ev_lock (it
			 * may close the port), fenced against close by the
			 * reset machine's raise handshake.
			 */
			if (lsc != NULL)
				mlx4r_reset_raise(dev, lsc,
						  RTE_ETH_EVENT_INTR_LSC);
			break;
		}
		case IBV_EVENT_DEVICE_FATAL:
			DRV_LOG(ERR, "%s: the device reported a fatal error",
				dev->name);
			/* the reset runs on the control thread, not here */
			mlx4r_reset_post(dev, MLX4R_REQ_FATAL);
			break;
		case IBV_EVENT_QP_FATAL:
		case IBV_EVENT_QP_REQ_ERR:
		case IBV_EVENT_QP_ACCESS_ERR:
		case IBV_EVENT_WQ_FATAL:
		case IBV_EVENT_CQ_ERR:
			/* a queue the datapath cannot repair: reset the HCA */
			DRV_LOG(ERR, "%s: queue error event %d", dev->name,
				ev.event_type);
			mlx4r_reset_post(dev, MLX4R_REQ_QUEUE);
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
}

void
mlx4r_dev_intr_uninstall(struct mlx4r_dev *dev)
{
	int ret;

	if (dev->intr == NULL)
		return;
	/* -EAGAIN while the handler runs on the interrupt thread: retry */
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
			 dev->name, p, mlx4r_wire_names[pa->wire],
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

void
mlx4r_dev_free(struct mlx4r_dev *dev)
{
	/* stops the reset thread; deferred when called from it */
	if (!mlx4r_reset_stop_thread(dev))
		return;
	/*
	 * Order: the thread is joined first (it may itself be uninstalling
	 * the handler in RESETTING); then the handler goes (unregister waits
	 * for a running one on the interrupt thread), and only then the reset
	 * machine it posts requests to.
	 */
	mlx4r_dev_intr_uninstall(dev);
	mlx4r_reset_free(dev);
	mlx4r_mr_release_all(dev);
	if (dev->pd != NULL)
		mlx4r_hw_dealloc_pd(dev->pd);
	if (dev->ctx != NULL)
		mlx4r_hw_close_device(dev->ctx);
	if (dev->emu_owned && mlx4r_emu_dev_destroy(dev->name) < 0)
		INIT_LOG(ERR, "%s: the emulated device stays", dev->name);
	rte_free(dev);
}

/* Open the device and what the ports share: context, PD, events. */
static int
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
		};

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
			 mlx4r_backend_names[dev->args.backend],
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

/*
 * Called by dev_close of a port once its queues are gone: the port leaves
 * the device core; the last one frees the core.
 */
void
mlx4r_dev_port_closed(struct mlx4r_dev *dev, struct mlx4r_port *port)
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
	if (last) {
		INIT_LOG(DEBUG, "%s: last port closed, freeing the device",
			 dev->name);
		mlx4r_dev_free(dev);
	}
}

static int
mlx4r_port_create(struct rte_vdev_device *vdev, struct mlx4r_dev *dev,
		  unsigned int idx)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *eth_dev;
	struct mlx4r_port *port;
	int ret;

	ret = mlx4r_port_name(dev->name, idx, name, sizeof(name));
	if (ret < 0)
		return ret;
	eth_dev = rte_eth_dev_allocate(name);
	if (eth_dev == NULL) {
		INIT_LOG(ERR, "%s: cannot allocate ethdev %s (name taken or too many ports)",
			 dev->name, name);
		return -ENOMEM;
	}
	eth_dev->device = &vdev->device;
	eth_dev->intr_handle = NULL;
	eth_dev->data->numa_node = dev->socket_id;
	port = rte_zmalloc_socket(name, sizeof(*port), RTE_CACHE_LINE_SIZE,
				  dev->socket_id);
	eth_dev->data->mac_addrs = rte_zmalloc_socket(name,
		MLX4R_MAX_MAC * sizeof(struct rte_ether_addr), 0,
		dev->socket_id);
	if (port == NULL || eth_dev->data->mac_addrs == NULL) {
		INIT_LOG(ERR, "%s: out of memory for port %u", dev->name,
			 idx + 1);
		rte_free(port);
		ret = -ENOMEM;
		goto error;
	}
	eth_dev->data->dev_private = port;
	port->dev = dev;
	port->eth_dev = eth_dev;
	port->port_num = idx + 1;
	ret = mlx4r_hw_port_mac(dev->ctx, port->port_num,
				port->mac.addr_bytes);
	if (ret < 0) {
		INIT_LOG(ERR, "%s: no MAC address for port %u: %s",
			 dev->name, idx + 1, strerror(-ret));
		goto error;
	}
	rte_ether_addr_copy(&port->mac, &eth_dev->data->mac_addrs[0]);
	mlx4r_port_netdev_probe(port);
	/* the ops behind the reset gate (mlx4r_reset.c) */
	eth_dev->dev_ops = mlx4r_reset_dev_ops();
	eth_dev->rx_pkt_burst = mlx4r_rx_burst;
	eth_dev->tx_pkt_burst = mlx4r_tx_burst;
	eth_dev->data->dev_link = (struct rte_eth_link){
		.link_speed = RTE_ETH_SPEED_NUM_40G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_status = RTE_ETH_LINK_DOWN,
		.link_autoneg = RTE_ETH_LINK_AUTONEG,
	};
	/* ethdev frees the port's ethdev on close */
	eth_dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS |
				    RTE_ETH_DEV_INTR_LSC |
				    RTE_ETH_DEV_INTR_RMV;
	dev->ports[idx] = port;
	mlx4r_reset_port_add(dev, port);
	dev->nb_live_ports++;
	rte_eth_dev_probing_finish(eth_dev);
	INIT_LOG(DEBUG, "%s: port %u is ethdev %u (%s)", dev->name, idx + 1,
		 eth_dev->data->port_id, name);
	return 0;
error:
	/* frees dev_private and mac_addrs */
	rte_eth_dev_release_port(eth_dev);
	return ret;
}

/* Close every port still open; the last one frees the device core. */
static void
mlx4r_dev_destroy(struct mlx4r_dev *dev)
{
	struct mlx4r_port *ports[MLX4R_MAX_PORTS];
	unsigned int i;

	/* copy first: closing the last port frees dev */
	memcpy(ports, dev->ports, sizeof(ports));
	for (i = 0; i < RTE_DIM(ports); i++) {
		/* rte_eth_dev_close() ends in mlx4r_dev_port_closed() */
		if (ports[i] != NULL)
			rte_eth_dev_close(ports[i]->eth_dev->data->port_id);
		/* never started during probe, so close cannot refuse */
	}
}

static int
mlx4r_probe_secondary(struct rte_vdev_device *vdev, const char *name)
{
	char pname[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *eth_dev;
	unsigned int i;

	for (i = 0; i < MLX4R_MAX_PORTS; i++) {
		if (mlx4r_port_name(name, i, pname, sizeof(pname)) < 0)
			return -ENAMETOOLONG;
		eth_dev = rte_eth_dev_attach_secondary(pname);
		if (eth_dev == NULL) {
			if (i > 0)
				break; /* a one-port HCA */
			INIT_LOG(ERR, "%s: cannot attach to the primary's port",
				 name);
			return -ENODEV;
		}
		eth_dev->device = &vdev->device;
		/* read-only: the device context is the primary's */
		eth_dev->dev_ops = &mlx4r_dev_ops_secondary;
		rte_eth_dev_probing_finish(eth_dev);
	}
	return 0;
}

static int
mlx4r_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct mlx4r_args args;
	struct mlx4r_dev *dev;
	unsigned int i;
	int ret;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY)
		return mlx4r_probe_secondary(vdev, name);

	ret = mlx4r_parse_args(name, rte_vdev_device_args(vdev), &args);
	if (ret < 0)
		return ret;
	dev = rte_zmalloc_socket(name, sizeof(*dev), RTE_CACHE_LINE_SIZE,
				 vdev->device.numa_node);
	if (dev == NULL) {
		INIT_LOG(ERR, "%s: out of memory for the device", name);
		return -ENOMEM;
	}
	strlcpy(dev->name, name, sizeof(dev->name));
	rte_spinlock_init(&dev->ev_lock);
	dev->args = args;
	dev->socket_id = vdev->device.numa_node;
	ret = mlx4r_dev_open(dev);
	if (ret == 0)
		ret = mlx4r_reset_init(dev);
	if (ret < 0)
		goto error;
	for (i = 0; i < args.nb_ports; i++) {
		ret = mlx4r_port_create(vdev, dev, i);
		if (ret < 0)
			goto error;
	}
	INIT_LOG(INFO, "%s: %u port(s) on the %s backend", name,
		 args.nb_ports, mlx4r_backend_names[args.backend]);
	return 0;
error:
	if (dev->nb_live_ports > 0)
		mlx4r_dev_destroy(dev); /* frees dev with its last port */
	else
		mlx4r_dev_free(dev);
	return ret;
}

static int
mlx4r_remove(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *eth_dev;
	uint16_t port_id;
	int ret = 0;

	if (rte_eal_process_type() == RTE_PROC_SECONDARY) {
		RTE_ETH_FOREACH_DEV_OF(port_id, &vdev->device) {
			eth_dev = &rte_eth_devices[port_id];
			rte_eth_dev_release_port(eth_dev);
		}
		return 0;
	}
	/*
	 * Closing the ports one by one releases them; the device core goes
	 * with the last. A port the application already closed is simply no
	 * longer listed.
	 */
	RTE_ETH_FOREACH_DEV_OF(port_id, &vdev->device) {
		int r = 0;

		/* rte_eth_dev_close() refuses a started port */
		if (rte_eth_devices[port_id].data->dev_started)
			r = rte_eth_dev_stop(port_id);
		if (r == 0)
			r = rte_eth_dev_close(port_id);
		if (r < 0 && ret == 0)
			ret = r;
	}
	INIT_LOG(DEBUG, "%s: removed", name);
	return ret;
}

static struct rte_vdev_driver mlx4r_vdev_driver = {
	.probe = mlx4r_probe,
	.remove = mlx4r_remove,
};

RTE_PMD_REGISTER_VDEV(MLX4R_DRIVER_NAME, mlx4r_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(MLX4R_DRIVER_NAME,
	MLX4R_ARG_PORTS "=<1|2> "
	MLX4R_ARG_BACKEND "=<emu|verbs> "
	MLX4R_ARG_IBDEV "=<rdma device> "
	MLX4R_ARG_MAX_QUEUES "=<1..16> "
	MLX4R_ARG_WIRE "[1|2]=<gen|xconnect|loopback|tap[:ifname]|none> "
	MLX4R_ARG_GEN_RATE "[1|2]=<pps> "
	MLX4R_ARG_GEN_SIZE "[1|2]=<bytes> "
	MLX4R_ARG_GEN_FLOWS "[1|2]=<n> "
	"recovery=<passive|proactive> "
	"recovery_attempts=<1..100> "
	"reset_deadline_ms=<ms> "
	"reinit_timeout_ms=<ms> "
	"fault=<fault>[/<arg>]@<ms>[:...]");
