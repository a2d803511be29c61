/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The rdma-core backend of the hardware seam: a ConnectX-3 through
 * libibverbs and the mlx4 provider's direct-verbs view (mlx4dv).
 *
 * This file is built as its own shared object, librte_net_mlx4r_verbs.so,
 * linked with libibverbs and libmlx4. The driver opens it with dlopen()
 * only when a port asks for backend=verbs, so that librte_net_mlx4r.so
 * loads and runs the emulated device on machines without rdma-core.
 * The object exports one symbol, mlx4r_hw_verbs_ops.
 *
 * Every handle is a wrapper whose first member is the seam's public
 * struct; the ibv object sits behind it. A context keeps a list of its
 * live objects so that close_device can destroy what the caller left, in
 * dependency order.
 *
 * After a catastrophic error (Linux mlx4 catas.c, infiniband/core
 * uverbs_main.c): IBV_EVENT_DEVICE_FATAL; firmware commands fail with EIO
 * (destroys still succeed: mlx4_internal_err_ret_value()); then the
 * kernel unregisters the device, which disassociates every context: the
 * kernel destroys their objects, zaps the UAR mapping (a write then
 * lands on a zeroed page, rdma_umap_fault()) and fails every later
 * command, destroys too, with EIO. libibverbs reports those destroys as
 * successes when RDMAV_ALLOW_DISASSOC_DESTROY (or its old name
 * MLX4_DEVICE_FATAL_CLEANUP) was set when it initialised; this backend
 * sets it before its first verbs call, but another user of libibverbs in
 * the process may have initialised it first: then a destroy fails with
 * EIO, and the object is forgotten here (its libmlx4 memory leaks,
 * counted), see mlx4r_verbs_destroy_result(). close_device never loops
 * on a failing destroy. Then the device is absent until the kernel has
 * re-created it (a new kernel index, the same name).
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <infiniband/mlx4dv.h>
#include <infiniband/verbs.h>

#include <rte_memory.h>

#include "mlx4r_hw.h"
#include "mlx4r_verbs.h"

struct verbs_ctx {
	struct mlx4r_hw_ctx pub;         /**< seam view, first */
	struct ibv_context *ibv;         /**< rdma-core context */
	/** live objects, by kind */
	struct mlx4r_verbs_obj_list objs[MLX4R_VERBS_KINDS];
	/** libmlx4's ring allocator (DPDK memory) */
	struct mlx4r_verbs_alloc alloc;
};

/*
 * Guards the contexts' object lists: reg_mr and dereg_mr may be called
 * from any thread (a Tx burst, the memory event callback) while the
 * control thread creates or destroys other objects (mlx4r_hw.h); the
 * verbs calls themselves are thread-safe in libibverbs.
 */
static pthread_mutex_t verbs_objs_lock = PTHREAD_MUTEX_INITIALIZER;

/* Objects whose libmlx4 memory leaked (destroy EIO without the env). */
static uint64_t verbs_leaked;

struct verbs_pd {
	struct mlx4r_hw_pd pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_pd *ibv;
};

struct verbs_mr {
	struct mlx4r_hw_mr pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_mr *ibv;
};

struct verbs_cq {
	struct mlx4r_hw_cq pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_cq *ibv;
};

struct verbs_ch {
	struct mlx4r_hw_channel pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_comp_channel *ibv;
};

struct verbs_qp {
	struct mlx4r_hw_qp pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_qp *ibv;
};

struct verbs_wq {
	struct mlx4r_hw_wq pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_wq *ibv;
};

struct verbs_ind {
	struct mlx4r_hw_ind_table pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_rwq_ind_table *ibv;
};

struct verbs_flow {
	struct mlx4r_hw_flow pub;
	struct mlx4r_verbs_obj obj;
	struct ibv_flow *ibv;
};

#define VCTX(c) container_of(c, struct verbs_ctx, pub)
#ifndef container_of /* rte_common.h has one */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

static void
verbs_track_(struct verbs_ctx *vc, struct mlx4r_verbs_obj *o,
	     enum mlx4r_verbs_obj_kind k, void *ibv, void *mem)
{
	o->kind = k;
	o->ibv = ibv;
	o->mem = mem;
	pthread_mutex_lock(&verbs_objs_lock);
	LIST_INSERT_HEAD(&vc->objs[k], o, next);
	pthread_mutex_unlock(&verbs_objs_lock);
}

/* Track wrapper w (whose ibv object is w->ibv) in its context. */
#define verbs_track(vc, w, k) verbs_track_(vc, &(w)->obj, k, (w)->ibv, (w))

/* Before the first verbs call of this backend. */
static void
verbs_set_env(void)
{
	/*
	 * Let destroy calls succeed after a fatal error instead of failing
	 * with EIO (RDMAV_ALLOW_DISASSOC_DESTROY; libibverbs reads it, and
	 * its old name MLX4_DEVICE_FATAL_CLEANUP, once, when it initialises:
	 * void if the application used libibverbs first, which
	 * verbs_destroy_obj() copes with), and make fork() safe with DPDK's
	 * memory. Never override the user.
	 */
	setenv("RDMAV_ALLOW_DISASSOC_DESTROY", "1", 0);
	setenv("MLX4_DEVICE_FATAL_CLEANUP", "1", 0);
	setenv("RDMAV_HUGEPAGES_SAFE", "1", 0);
}

/*
 * The incarnation of a device: changes when the kernel re-creates it under
 * the same name after a reset. In netlink mode rdma-core gives the
 * kernel's device index, allocated anew at every registration
 * (xa_alloc_cyclic() in Linux infiniband/core/device.c assign_name());
 * in sysfs mode rdma-core itself tells two registrations apart by the
 * time the device's sysfs directory was made (libibverbs/init.c
 * same_sysfs_dev(), time_created): so do we.
 */
static uint32_t
verbs_dev_incarnation(struct ibv_device *dev)
{
	struct stat st;
	int idx = ibv_get_device_index(dev);

	if (idx >= 0)
		return (uint32_t)idx + 1;
	if (stat(dev->ibdev_path, &st) != 0)
		return 0;
	return (uint32_t)st.st_mtim.tv_sec * 1000003u ^
	       (uint32_t)st.st_mtim.tv_nsec;
}

static int verbs_read_file(const char *path, char *buf, size_t len);

/*
 * Rings in DPDK memory on the right NUMA node, as upstream net_mlx4 does
 * (mlx4.c: mlx4dv_set_context_attr(MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS)
 * with mlx4_alloc_verbs_buf() on the queue's socket), instead of
 * libmlx4's anonymous mmap() wherever the kernel puts it. Before any
 * object exists (libmlx4 copies the allocators and uses them for every
 * buffer and doorbell page from then on, providers/mlx4/buf.c). A
 * libmlx4 without the attribute keeps its own allocator.
 */
static void
verbs_set_allocator(struct verbs_ctx *vc)
{
	struct mlx4dv_ctx_allocators alctr = {
		.alloc = mlx4r_verbs_buf_alloc,
		.free = mlx4r_verbs_buf_free,
		.data = &vc->alloc,
	};
	char path[PATH_MAX], buf[32];
	int ret;

	vc->alloc.socket = &vc->pub.buf_socket;
	vc->alloc.dev_socket = SOCKET_ID_ANY;
	/* the PCI function's node; -1 when the platform does not say */
	snprintf(path, sizeof(path), "%s/device/numa_node",
		 vc->ibv->device->ibdev_path);
	if (verbs_read_file(path, buf, sizeof(buf)) == 0 && atoi(buf) >= 0)
		vc->alloc.dev_socket = atoi(buf);
	ret = mlx4dv_set_context_attr(vc->ibv,
				      MLX4DV_SET_CTX_ATTR_BUF_ALLOCATORS,
				      &alctr);
	if (ret != 0) {
		mlx4r_verbs_log("%s: rings stay in libmlx4's memory (mlx4dv_set_context_attr(BUF_ALLOCATORS): %s)",
				vc->pub.name, strerror(ret));
		return;
	}
	/*
	 * Rings and doorbell records in DPDK memory, which a secondary
	 * process shares (hugepages), and the UAR its own mapping of the
	 * command file: libmlx4 maps the context's UAR at offset 0 of it
	 * (mlx4.c mlx4_alloc_context(), uar_mmap_offset), as upstream
	 * net_mlx4's secondaries do with the file its primary passes them
	 * (mlx4.c mlx4_tx_uar_init_secondary(), mlx4_mp.c
	 * MLX4_MP_REQ_VERBS_CMD_FD).
	 */
	vc->pub.mp_shareable = true;
	vc->pub.cmd_fd = vc->ibv->cmd_fd;
	vc->pub.uar_mmap_off = 0;
}

/*
 * The devices this process has had open, by name. A device that is not
 * listed any more after it was open is away, not missing: after a
 * catastrophic error the kernel unregisters it and registers it again
 * under its name (Linux mlx4 catas.c mlx4_handle_error_state() ->
 * main.c mlx4_restart_one(): mlx4_ib removes its ib_device and adds a
 * new one), and the caller polls for it meanwhile (mlx4r_reset.c
 * mlx4r_phase_reinit(), every few ms to 100 ms for up to
 * reinit_timeout_ms). The first probe's error ("is mlx4_ib loaded?")
 * would be wrong then, and repeated at every poll: an absence is said
 * once, at NOTICE, when it starts, and each further poll at DEBUG.
 */
#define VERBS_MAX_SEEN 8

static struct {
	char name[IBV_SYSFS_NAME_MAX];
	bool away;                 /* its absence said (until it is back) */
} verbs_seen[VERBS_MAX_SEEN];
static pthread_mutex_t verbs_seen_lock = PTHREAD_MUTEX_INITIALIZER;

static void
verbs_seen_open(const char *name)
{
	unsigned int i, free_slot = VERBS_MAX_SEEN;

	pthread_mutex_lock(&verbs_seen_lock);
	for (i = 0; i < VERBS_MAX_SEEN; i++) {
		if (strcmp(verbs_seen[i].name, name) == 0)
			break;
		if (verbs_seen[i].name[0] == '\0' && free_slot == VERBS_MAX_SEEN)
			free_slot = i;
	}
	if (i == VERBS_MAX_SEEN && free_slot < VERBS_MAX_SEEN) {
		i = free_slot;
		snprintf(verbs_seen[i].name, sizeof(verbs_seen[i].name), "%s",
			 name);
	}
	if (i < VERBS_MAX_SEEN)
		verbs_seen[i].away = false;
	pthread_mutex_unlock(&verbs_seen_lock);
}

/* Device @p name is not listed: @p why for a device never open here. */
static void
verbs_absent(const char *name, const char *why)
{
	bool seen = false, first = false;
	unsigned int i;

	pthread_mutex_lock(&verbs_seen_lock);
	for (i = 0; i < VERBS_MAX_SEEN; i++) {
		if (strcmp(verbs_seen[i].name, name) == 0) {
			seen = true;
			first = !verbs_seen[i].away;
			verbs_seen[i].away = true;
			break;
		}
	}
	pthread_mutex_unlock(&verbs_seen_lock);
	if (!seen)
		mlx4r_verbs_log("%s", why);
	else
		mlx4r_verbs_log_level(first ? RTE_LOG_NOTICE : RTE_LOG_DEBUG,
				      "%s is %s since it was open here (the kernel unregisters a device after a catastrophic error and registers it again): waiting for it to come back",
				      name, first ? "absent" : "still absent");
}

static int
verbs_open_device(const char *name, struct mlx4r_hw_ctx **out)
{
	char why[384];
	struct mlx4dv_context dv = { 0 };
	struct ibv_device_attr attr;
	struct ibv_device **list;
	struct ibv_context *ibv = NULL;
	struct verbs_ctx *vc;
	uint32_t incarnation;
	int i, n = 0, ret, flags;

	verbs_set_env();
	errno = 0;
	list = ibv_get_device_list(&n);
	if (list == NULL || n == 0) {
		/* no device: NULL with ENOSYS, or an empty list */
		snprintf(why, sizeof(why),
			 "no RDMA device on this machine (errno %d): is mlx4_ib loaded?",
			 errno);
		verbs_absent(name, why);
		if (list != NULL)
			ibv_free_device_list(list);
		return -ENODEV;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ibv_get_device_name(list[i]), name) == 0)
			break;
	}
	if (i == n) {
		char names[256] = "";
		size_t len = 0;

		for (i = 0; i < n && len < sizeof(names); i++)
			len += snprintf(names + len, sizeof(names) - len,
					"%s%s", i ? " " : "",
					ibv_get_device_name(list[i]));
		snprintf(why, sizeof(why), "no RDMA device named %s (found: %s)",
			 name, names);
		verbs_absent(name, why);
		ibv_free_device_list(list);
		return -ENODEV;
	}
	errno = 0;
	ibv = ibv_open_device(list[i]);
	ret = mlx4r_verbs_errno(errno, ENODEV);
	incarnation = verbs_dev_incarnation(list[i]);
	ibv_free_device_list(list);
	if (ibv == NULL) {
		/*
		 * EAGAIN: a device in catastrophic error, still listed
		 * (mlx4_ib_alloc_ucontext() refuses while !ib_active): the
		 * caller polls until the kernel re-created it. Not logged:
		 * that poll would repeat it. ENODEV: listed, but its node is
		 * gone (unregistered between the listing and the open), an
		 * absence as above.
		 */
		snprintf(why, sizeof(why), "cannot open %s: %s", name,
			 strerror(-ret));
		if (ret == -ENODEV)
			verbs_absent(name, why);
		else if (ret != -EAGAIN)
			mlx4r_verbs_log("%s", why);
		return ret;
	}
	/*
	 * The vendor and part first: mlx4dv_query_device() reads any
	 * provider's context as libmlx4's (mlx4r_verbs_check_part()). The
	 * legacy QUERY_DEVICE answers from the kernel's copy of the
	 * attributes (uverbs_cmd.c ib_uverbs_query_device()), so this works
	 * on a dying device too.
	 */
	ret = ibv_query_device(ibv, &attr);
	if (ret != 0) {
		ret = mlx4r_verbs_errno(ret, EIO);
		mlx4r_verbs_log("cannot query %s: %s", name, strerror(-ret));
		goto error;
	}
	if (mlx4r_verbs_check_part(attr.vendor_id, attr.vendor_part_id) != 0) {
		mlx4r_verbs_log("ibdev=%s is not a ConnectX-3: vendor 0x%x part %u (%#x); mlx4r drives vendor 0x%x parts %u-%u (mlx4_core's MT27500 family)",
				name, attr.vendor_id, attr.vendor_part_id,
				attr.vendor_part_id, MLX4R_VERBS_VENDOR_ID,
				MLX4R_VERBS_PART_FIRST, MLX4R_VERBS_PART_LAST);
		ret = -ENODEV;
		goto error;
	}
	if (mlx4dv_query_device(ibv, &dv) != 0) {
		mlx4r_verbs_log("%s: mlx4dv_query_device failed", name);
		ret = -ENODEV;
		goto error;
	}
	/* the driver polls the async fd: it must never block */
	flags = fcntl(ibv->async_fd, F_GETFL);
	if (flags < 0 || fcntl(ibv->async_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		mlx4r_verbs_log("cannot make the async fd of %s non-blocking",
				name);
		goto error;
	}
	vc = calloc(1, sizeof(*vc));
	if (vc == NULL) {
		ret = -ENOMEM;
		goto error;
	}
	vc->ibv = ibv;
	vc->pub.ops = &mlx4r_hw_verbs_ops;
	vc->pub.async_fd = ibv->async_fd;
	vc->pub.incarnation = incarnation;
	vc->pub.nb_ports = attr.phys_port_cnt;
	vc->pub.vendor_part_id = attr.vendor_part_id;
	{
		struct ibv_device_attr_ex ax;

		/* none known when the extended query is missing */
		memset(&ax, 0, sizeof(ax));
		if (ibv_query_device_ex(ibv, NULL, &ax) == 0) {
			vc->pub.raw_packet_caps = ax.raw_packet_caps;
			/* as upstream mlx4.c reads them (priv->tso) */
			vc->pub.max_tso = ax.tso_caps.max_tso;
			vc->pub.tso_qpts = ax.tso_caps.supported_qpts;
		}
	}
	snprintf(vc->pub.name, sizeof(vc->pub.name), "%s", name);
	for (i = 0; i < MLX4R_VERBS_KINDS; i++)
		LIST_INIT(&vc->objs[i]);
	vc->pub.buf_socket = SOCKET_ID_ANY;
	verbs_set_allocator(vc);
	verbs_seen_open(name);
	*out = &vc->pub;
	return 0;
error:
	ibv_close_device(ibv);
	return ret;
}

static int verbs_destroy_obj(struct mlx4r_verbs_obj *o);

static int
verbs_close_device(struct mlx4r_hw_ctx *ctx)
{
	struct verbs_ctx *vc = VCTX(ctx);
	unsigned int k, left = 0, given_up;

	for (k = 0; k < MLX4R_VERBS_KINDS; k++) {
		struct mlx4r_verbs_obj *o;

		LIST_FOREACH(o, &vc->objs[k], next)
			left++;
	}
	/* each object once: a destroy that fails is not retried for ever */
	given_up = mlx4r_verbs_destroy_all(vc->objs, verbs_destroy_obj);
	if (left > 0)
		mlx4r_verbs_log("%s: %u objects left at close, %u of them not destroyed (the kernel releases them with the command fd, libmlx4 leaks their memory)",
				ctx->name, left, given_up);
	verbs_leaked += given_up;
	ibv_close_device(vc->ibv);
	free(vc);
	return 0;
}

static int
verbs_query_device(struct mlx4r_hw_ctx *ctx, struct ibv_device_attr *attr)
{
	return mlx4r_verbs_errno(ibv_query_device(VCTX(ctx)->ibv, attr), 0);
}

static int
verbs_query_port(struct mlx4r_hw_ctx *ctx, uint8_t port,
		 struct ibv_port_attr *attr)
{
	if (port < 1 || port > ctx->nb_ports)
		return -EINVAL;
	return mlx4r_verbs_errno(ibv_query_port(VCTX(ctx)->ibv, port, attr),
				 0);
}

/* Read a small sysfs file into buf; 0 or -errno. */
static int
verbs_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/*
 * The MAC of a port is the address of the Ethernet netdev mlx4_en made
 * for it: <ibdev>/device/net/<ifname>, whose dev_port is port - 1.
 */
static int
verbs_port_mac(struct mlx4r_hw_ctx *ctx, uint8_t port, uint8_t mac[6])
{
	struct ibv_context *ibv = VCTX(ctx)->ibv;
	char path[PATH_MAX], buf[64], ifname[IF_NAMESIZE];
	int ret;

	if (port < 1 || port > ctx->nb_ports)
		return -EINVAL;
	ret = mlx4r_verbs_port_ifname(ibv->device->ibdev_path, port, ifname,
				      sizeof(ifname));
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/device/net/%s/address",
		 ibv->device->ibdev_path, ifname);
	ret = verbs_read_file(path, buf, sizeof(buf));
	if (ret == 0)
		ret = mlx4r_verbs_parse_mac(buf, mac);
	return ret;
}

/*
 * The netdev ops: ioctls on the port's mlx4_en interface, as upstream
 * net_mlx4 makes them (mlx4_ethdev.c mlx4_ifreq, mlx4_set_flags,
 * mlx4_mtu_get/set, mlx4_link_update).
 */
static int
verbs_ifreq(struct mlx4r_hw_ctx *ctx, uint8_t port, unsigned long req,
	    struct ifreq *ifr)
{
	int sock, ret;

	if (port < 1 || port > ctx->nb_ports)
		return -EINVAL;
	ret = mlx4r_verbs_port_ifname(VCTX(ctx)->ibv->device->ibdev_path,
				      port, ifr->ifr_name,
				      sizeof(ifr->ifr_name));
	if (ret < 0)
		return ret;
	sock = socket(PF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_IP);
	if (sock < 0)
		return -errno;
	ret = ioctl(sock, req, ifr) < 0 ? -errno : 0;
	close(sock);
	return ret;
}

/* ethtool speed (Mb/s) and duplex; speed 0 when unknown. */
static void
verbs_ethtool(struct mlx4r_hw_ctx *ctx, uint8_t port,
	      struct mlx4r_hw_netdev *nd)
{
	struct {
		struct ethtool_link_settings req;
		uint32_t masks[3 * 127]; /* 3 masks of at most SCHAR_MAX */
	} ls;
	struct ethtool_cmd ecmd;
	struct ifreq ifr;
	uint32_t speed;

	/* ETHTOOL_GLINKSETTINGS: a first call tells the mask size */
	memset(&ls, 0, sizeof(ls));
	ls.req.cmd = ETHTOOL_GLINKSETTINGS;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_data = (void *)&ls;
	if (verbs_ifreq(ctx, port, SIOCETHTOOL, &ifr) == 0 &&
	    ls.req.link_mode_masks_nwords < 0 &&
	    -ls.req.link_mode_masks_nwords <= 127) {
		ls.req.link_mode_masks_nwords =
			(int8_t)-ls.req.link_mode_masks_nwords;
		ls.req.cmd = ETHTOOL_GLINKSETTINGS;
		if (verbs_ifreq(ctx, port, SIOCETHTOOL, &ifr) == 0) {
			speed = ls.req.speed;
			nd->speed = speed == (uint32_t)SPEED_UNKNOWN ? 0 :
				    speed;
			nd->full_duplex = ls.req.duplex == DUPLEX_FULL;
			return;
		}
	}
	/* older kernels: ETHTOOL_GSET */
	memset(&ecmd, 0, sizeof(ecmd));
	ecmd.cmd = ETHTOOL_GSET;
	ifr.ifr_data = (void *)&ecmd;
	if (verbs_ifreq(ctx, port, SIOCETHTOOL, &ifr) == 0) {
		speed = ethtool_cmd_speed(&ecmd);
		nd->speed = speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
		nd->full_duplex = ecmd.duplex == DUPLEX_FULL;
	}
}

static int
verbs_netdev_query(struct mlx4r_hw_ctx *ctx, uint8_t port,
		   struct mlx4r_hw_netdev *nd)
{
	struct ifreq ifr;
	int ret;

	memset(nd, 0, sizeof(*nd));
	memset(&ifr, 0, sizeof(ifr));
	ret = verbs_ifreq(ctx, port, SIOCGIFFLAGS, &ifr);
	if (ret < 0)
		return ret;
	snprintf(nd->name, sizeof(nd->name), "%s", ifr.ifr_name);
	nd->up = (ifr.ifr_flags & IFF_UP) != 0;
	nd->running = nd->up && (ifr.ifr_flags & IFF_RUNNING) != 0;
	memset(&ifr, 0, sizeof(ifr));
	ret = verbs_ifreq(ctx, port, SIOCGIFMTU, &ifr);
	if (ret < 0)
		return ret;
	nd->mtu = ifr.ifr_mtu > 0 && ifr.ifr_mtu <= UINT16_MAX ?
		  (uint16_t)ifr.ifr_mtu : 0;
	memset(&ifr, 0, sizeof(ifr));
	if (verbs_ifreq(ctx, port, SIOCGIFINDEX, &ifr) == 0)
		nd->ifindex = ifr.ifr_ifindex;
	if (nd->running)
		verbs_ethtool(ctx, port, nd);
	return 0;
}

static int
verbs_netdev_set_up(struct mlx4r_hw_ctx *ctx, uint8_t port, bool up)
{
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	ret = verbs_ifreq(ctx, port, SIOCGIFFLAGS, &ifr);
	if (ret < 0)
		return ret;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return verbs_ifreq(ctx, port, SIOCSIFFLAGS, &ifr);
}

static int
verbs_netdev_set_mtu(struct mlx4r_hw_ctx *ctx, uint8_t port, uint16_t mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = mtu;
	return verbs_ifreq(ctx, port, SIOCSIFMTU, &ifr);
}

static int
verbs_netdev_pause_get(struct mlx4r_hw_ctx *ctx, uint8_t port,
		       struct mlx4r_hw_pause *pause)
{
	struct ethtool_pauseparam ep;
	struct ifreq ifr;
	int ret;

	memset(&ep, 0, sizeof(ep));
	ep.cmd = ETHTOOL_GPAUSEPARAM;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_data = (void *)&ep;
	ret = verbs_ifreq(ctx, port, SIOCETHTOOL, &ifr);
	if (ret < 0)
		return ret;
	pause->autoneg = ep.autoneg != 0;
	pause->rx_pause = ep.rx_pause != 0;
	pause->tx_pause = ep.tx_pause != 0;
	return 0;
}

static int
verbs_netdev_pause_set(struct mlx4r_hw_ctx *ctx, uint8_t port,
		       const struct mlx4r_hw_pause *pause)
{
	struct ethtool_pauseparam ep;
	struct ifreq ifr;

	memset(&ep, 0, sizeof(ep));
	ep.cmd = ETHTOOL_SPAUSEPARAM;
	ep.autoneg = pause->autoneg;
	ep.rx_pause = pause->rx_pause;
	ep.tx_pause = pause->tx_pause;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_data = (void *)&ep;
	return verbs_ifreq(ctx, port, SIOCETHTOOL, &ifr);
}

static int
verbs_alloc_pd(struct mlx4r_hw_ctx *ctx, struct mlx4r_hw_pd **out)
{
	struct verbs_pd *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	errno = 0;
	p->ibv = ibv_alloc_pd(VCTX(ctx)->ibv);
	if (p->ibv == NULL) {
		int ret = mlx4r_verbs_errno(errno, ENOMEM);

		free(p);
		return ret;
	}
	p->pub.ctx = ctx;
	p->pub.pdn = p->ibv->handle;
	verbs_track(VCTX(ctx), p, MLX4R_VERBS_PD);
	*out = &p->pub;
	return 0;
}

static int
verbs_dealloc_pd(struct mlx4r_hw_pd *pd)
{
	return verbs_destroy_obj(&container_of(pd, struct verbs_pd, pub)->obj);
}

static int
verbs_reg_mr(struct mlx4r_hw_pd *pd, void *addr, size_t length,
	     uint32_t access, struct mlx4r_hw_mr **out)
{
	struct verbs_pd *vp = container_of(pd, struct verbs_pd, pub);
	struct verbs_mr *m;

	if (addr == NULL || length == 0)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	errno = 0;
	m->ibv = ibv_reg_mr(vp->ibv, addr, length, access);
	if (m->ibv == NULL) {
		int ret = mlx4r_verbs_errno(errno, ENOMEM);

		free(m);
		return ret;
	}
	m->pub.pd = pd;
	m->pub.addr = addr;
	m->pub.length = length;
	m->pub.lkey = m->ibv->lkey;
	m->pub.access = access;
	verbs_track(VCTX(pd->ctx), m, MLX4R_VERBS_MR);
	*out = &m->pub;
	return 0;
}

static int
verbs_dereg_mr(struct mlx4r_hw_mr *mr)
{
	return verbs_destroy_obj(&container_of(mr, struct verbs_mr, pub)->obj);
}

static int
verbs_cq_make(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
	      struct ibv_comp_channel *ch, struct mlx4r_hw_cq **out)
{
	struct mlx4dv_obj obj;
	struct mlx4dv_cq dv;
	struct verbs_cq *c;
	uint32_t i;

	if (cqe == 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	errno = 0;
	/* cq_context c: verbs_get_cq_event() finds the wrapper by it */
	c->ibv = ibv_create_cq(VCTX(ctx)->ibv, cqe, c, ch, 0);
	if (c->ibv == NULL) {
		int ret = mlx4r_verbs_errno(errno, ENOMEM);

		free(c);
		return ret;
	}
	/*
	 * Mark every entry hardware-owned for consumer index 0 (owner bit
	 * set) before anything can complete into it: the seam promises it,
	 * and nothing is posted yet, so this cannot race the device.
	 */
	memset(&obj, 0, sizeof(obj));
	obj.cq.in = c->ibv;
	obj.cq.out = &dv;
	if (mlx4dv_init_obj(&obj, MLX4DV_OBJ_CQ) == 0) {
		for (i = 0; i < dv.cqe_cnt; i++) {
			struct mlx4_cqe *e = (void *)((char *)dv.buf.buf +
				(size_t)i * dv.cqe_size +
				(dv.cqe_size == 64 ? 32 : 0));

			e->owner_sr_opcode = MLX4_CQE_OWNER_MASK;
		}
	}
	c->pub.ctx = ctx;
	c->pub.cqn = dv.cqn;
	c->pub.cqe = c->ibv->cqe;
	verbs_track(VCTX(ctx), c, MLX4R_VERBS_CQ);
	*out = &c->pub;
	return 0;
}

static int
verbs_create_cq(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
		struct mlx4r_hw_cq **out)
{
	return verbs_cq_make(ctx, cqe, NULL, out);
}

/*
 * Completion channels (Rx interrupts), as upstream net_mlx4 uses them
 * (mlx4_rxq.c mlx4_rxq_attach: ibv_create_comp_channel, the fd made
 * non-blocking by mlx4_fd_set_non_blocking; mlx4_intr.c
 * mlx4_rx_intr_disable: ibv_get_cq_event, ibv_ack_cq_events). Arming is
 * the driver's own doorbell write (mlx4r_hw.h), not ibv_req_notify_cq:
 * libmlx4's arm_sn, which mlx4_cq_event bumps inside ibv_get_cq_event,
 * is not the driver's, and only the driver's goes into the doorbell.
 */
static int
verbs_create_comp_channel(struct mlx4r_hw_ctx *ctx,
			  struct mlx4r_hw_channel **out)
{
	struct verbs_ch *c;
	int flags, ret;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	errno = 0;
	c->ibv = ibv_create_comp_channel(VCTX(ctx)->ibv);
	if (c->ibv == NULL) {
		ret = mlx4r_verbs_errno(errno, ENOMEM);
		free(c);
		return ret;
	}
	flags = fcntl(c->ibv->fd, F_GETFL);
	if (flags < 0 || fcntl(c->ibv->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		ibv_destroy_comp_channel(c->ibv);
		free(c);
		return ret;
	}
	c->pub.ctx = ctx;
	c->pub.fd = c->ibv->fd;
	verbs_track(VCTX(ctx), c, MLX4R_VERBS_CH);
	*out = &c->pub;
	return 0;
}

static int
verbs_destroy_comp_channel(struct mlx4r_hw_channel *ch)
{
	return verbs_destroy_obj(&container_of(ch, struct verbs_ch,
					       pub)->obj);
}

static int
verbs_create_cq_ch(struct mlx4r_hw_ctx *ctx, uint32_t cqe,
		   struct mlx4r_hw_channel *ch, struct mlx4r_hw_cq **out)
{
	return verbs_cq_make(ctx, cqe, ch == NULL ? NULL :
			     container_of(ch, struct verbs_ch, pub)->ibv, out);
}

static int
verbs_get_cq_event(struct mlx4r_hw_channel *ch, struct mlx4r_hw_cq **out)
{
	struct verbs_ch *c = container_of(ch, struct verbs_ch, pub);
	struct ibv_cq *cq;
	void *cq_ctx;

	errno = 0;
	if (ibv_get_cq_event(c->ibv, &cq, &cq_ctx) != 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN :
		       mlx4r_verbs_errno(errno, EIO);
	*out = &((struct verbs_cq *)cq_ctx)->pub;
	return 0;
}

static void
verbs_ack_cq_events(struct mlx4r_hw_cq *cq, unsigned int n)
{
	ibv_ack_cq_events(container_of(cq, struct verbs_cq, pub)->ibv, n);
}

static int
verbs_destroy_cq(struct mlx4r_hw_cq *cq)
{
	return verbs_destroy_obj(&container_of(cq, struct verbs_cq, pub)->obj);
}

static int
verbs_cq_view(struct mlx4r_hw_cq *cq, struct mlx4dv_cq *dv)
{
	struct mlx4dv_obj obj;

	memset(&obj, 0, sizeof(obj));
	memset(dv, 0, sizeof(*dv));
	/* the UAR of the arm doorbell (as upstream mlx4_rxq.c asks it) */
	dv->comp_mask = MLX4DV_CQ_MASK_UAR;
	obj.cq.in = container_of(cq, struct verbs_cq, pub)->ibv;
	obj.cq.out = dv;
	return mlx4r_verbs_errno(mlx4dv_init_obj(&obj, MLX4DV_OBJ_CQ), 0);
}

static int
verbs_create_qp(struct mlx4r_hw_pd *pd, struct mlx4r_hw_qp_attr *attr,
		struct mlx4r_hw_qp **out)
{
	struct verbs_pd *vp = container_of(pd, struct verbs_pd, pub);
	struct ibv_qp_init_attr init;
	struct verbs_qp *q;
	struct ibv_cq *cq;

	if (attr == NULL || attr->send_cq == NULL)
		return -EINVAL;
	cq = container_of(attr->send_cq, struct verbs_cq, pub)->ibv;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	mlx4r_verbs_tx_qp_init_attr(&init, q, cq, &attr->cap);
	errno = 0;
	q->ibv = ibv_create_qp(vp->ibv, &init);
	if (q->ibv == NULL) {
		int ret = mlx4r_verbs_errno(errno, EINVAL);

		free(q);
		return ret;
	}
	attr->cap = init.cap; /* what was granted */
	q->pub.ctx = pd->ctx;
	q->pub.qpn = q->ibv->qp_num;
	q->pub.kind = MLX4R_HW_QP_RAW_TX;
	q->pub.state = IBV_QPS_RESET;
	verbs_track(VCTX(pd->ctx), q, MLX4R_VERBS_QP);
	*out = &q->pub;
	return 0;
}

static int
verbs_create_rss_qp(struct mlx4r_hw_pd *pd, struct mlx4r_hw_ind_table *ind,
		    const struct ibv_rx_hash_conf *conf,
		    struct mlx4r_hw_qp **out)
{
	struct verbs_pd *vp = container_of(pd, struct verbs_pd, pub);
	struct ibv_qp_init_attr_ex init;
	struct verbs_qp *q;
	int ret;

	if (ind == NULL || conf == NULL)
		return -EINVAL;
	ret = mlx4r_verbs_rss_qp_init_attr(&init, vp->ibv,
		container_of(ind, struct verbs_ind, pub)->ibv, conf);
	if (ret < 0)
		return ret;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	init.qp_context = q;
	errno = 0;
	q->ibv = ibv_create_qp_ex(VCTX(pd->ctx)->ibv, &init);
	if (q->ibv == NULL) {
		ret = mlx4r_verbs_errno(errno, EINVAL);
		free(q);
		return ret;
	}
	q->pub.ctx = pd->ctx;
	q->pub.qpn = q->ibv->qp_num;
	q->pub.kind = MLX4R_HW_QP_RSS;
	q->pub.state = IBV_QPS_RESET;
	verbs_track(VCTX(pd->ctx), q, MLX4R_VERBS_QP);
	*out = &q->pub;
	return 0;
}

static int
verbs_modify_qp(struct mlx4r_hw_qp *qp, struct ibv_qp_attr *attr,
		int attr_mask)
{
	int ret;

	if (!(attr_mask & IBV_QP_STATE))
		return -EINVAL;
	ret = ibv_modify_qp(container_of(qp, struct verbs_qp, pub)->ibv, attr,
			    attr_mask);
	if (ret != 0)
		return mlx4r_verbs_errno(ret, EINVAL);
	qp->state = attr->qp_state;
	return 0;
}

static int
verbs_query_qp_state(struct mlx4r_hw_qp *qp, enum ibv_qp_state *state)
{
	struct ibv_qp_init_attr init;
	struct ibv_qp_attr attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	ret = ibv_query_qp(container_of(qp, struct verbs_qp, pub)->ibv, &attr,
			   IBV_QP_STATE, &init);
	if (ret != 0)
		return mlx4r_verbs_errno(ret, EIO);
	*state = attr.qp_state;
	return 0;
}

static int
verbs_destroy_qp(struct mlx4r_hw_qp *qp)
{
	return verbs_destroy_obj(&container_of(qp, struct verbs_qp, pub)->obj);
}

static int
verbs_qp_view(struct mlx4r_hw_qp *qp, struct mlx4dv_qp *dv,
	      struct mlx4r_hw_hook *hook)
{
	struct mlx4dv_obj obj;

	if (qp->kind != MLX4R_HW_QP_RAW_TX)
		return -EINVAL;
	memset(&obj, 0, sizeof(obj));
	memset(dv, 0, sizeof(*dv));
	obj.qp.in = container_of(qp, struct verbs_qp, pub)->ibv;
	obj.qp.out = dv;
	hook->fn = NULL; /* hardware needs no help */
	hook->arg = NULL;
	return mlx4r_verbs_errno(mlx4dv_init_obj(&obj, MLX4DV_OBJ_QP), 0);
}

static int
verbs_create_wq(struct mlx4r_hw_pd *pd, struct mlx4r_hw_wq_attr *attr,
		struct mlx4r_hw_wq **out)
{
	struct verbs_pd *vp = container_of(pd, struct verbs_pd, pub);
	struct ibv_wq_init_attr init;
	struct verbs_wq *w;

	if (attr == NULL || attr->cq == NULL || attr->max_wr == 0 ||
	    attr->max_sge == 0)
		return -EINVAL;
	if (attr->create_flags & ~(uint32_t)IBV_WQ_FLAGS_SCATTER_FCS)
		return -EOPNOTSUPP;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	memset(&init, 0, sizeof(init));
	init.wq_context = w;
	init.wq_type = IBV_WQT_RQ;
	init.max_wr = attr->max_wr;
	init.max_sge = attr->max_sge;
	init.pd = vp->ibv;
	init.cq = container_of(attr->cq, struct verbs_cq, pub)->ibv;
	if (attr->create_flags != 0) {
		init.create_flags = attr->create_flags;
		init.comp_mask |= IBV_WQ_INIT_ATTR_FLAGS;
	}
	errno = 0;
	w->ibv = ibv_create_wq(VCTX(pd->ctx)->ibv, &init);
	if (w->ibv == NULL) {
		int ret = mlx4r_verbs_errno(errno, EINVAL);

		free(w);
		return ret;
	}
	attr->max_wr = init.max_wr;
	attr->max_sge = init.max_sge;
	w->pub.ctx = pd->ctx;
	w->pub.wq_num = w->ibv->wq_num;
	w->pub.state = IBV_WQS_RESET;
	verbs_track(VCTX(pd->ctx), w, MLX4R_VERBS_WQ);
	*out = &w->pub;
	return 0;
}

static int
verbs_modify_wq(struct mlx4r_hw_wq *wq, enum ibv_wq_state state)
{
	struct ibv_wq_attr attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.attr_mask = IBV_WQ_ATTR_STATE;
	attr.wq_state = state;
	ret = ibv_modify_wq(container_of(wq, struct verbs_wq, pub)->ibv,
			    &attr);
	if (ret != 0)
		return mlx4r_verbs_errno(ret, EINVAL);
	wq->state = state;
	return 0;
}

static int
verbs_destroy_wq(struct mlx4r_hw_wq *wq)
{
	return verbs_destroy_obj(&container_of(wq, struct verbs_wq, pub)->obj);
}

static int
verbs_wq_view(struct mlx4r_hw_wq *wq, struct mlx4dv_rwq *dv,
	      struct mlx4r_hw_hook *hook)
{
	struct mlx4dv_obj obj;

	memset(&obj, 0, sizeof(obj));
	memset(dv, 0, sizeof(*dv));
	obj.rwq.in = container_of(wq, struct verbs_wq, pub)->ibv;
	obj.rwq.out = dv;
	hook->fn = NULL;
	hook->arg = NULL;
	return mlx4r_verbs_errno(mlx4dv_init_obj(&obj, MLX4DV_OBJ_RWQ), 0);
}

static int
verbs_set_rss_range(struct mlx4r_hw_ctx *ctx, uint32_t log_size)
{
	uint8_t log = log_size;

	if (log_size > 16)
		return -EINVAL;
	return mlx4r_verbs_errno(mlx4dv_set_context_attr(VCTX(ctx)->ibv,
				 MLX4DV_SET_CTX_ATTR_LOG_WQS_RANGE_SZ, &log),
				 0);
}

static int
verbs_create_ind_table(struct mlx4r_hw_ctx *ctx, uint32_t log_size,
		       struct mlx4r_hw_wq *const *wqs,
		       struct mlx4r_hw_ind_table **out)
{
	struct ibv_rwq_ind_table_init_attr init;
	struct ibv_wq **ibv_wqs;
	struct verbs_ind *t;
	uint32_t i, n, bad;
	int ret;

	if (wqs == NULL || log_size > 16)
		return -EINVAL;
	n = 1u << log_size;
	for (i = 0; i < n; i++) {
		if (wqs[i] == NULL)
			return -EINVAL;
	}
	/* the table is the driver's; say what the kernel will refuse */
	bad = mlx4r_verbs_ind_check(wqs, n);
	if (bad != 0) {
		mlx4r_verbs_log("%s: RSS table entry %u (WQ 0x%x): ConnectX-3 needs %u WQs with consecutive numbers from a multiple of %u",
				ctx->name, bad - 1, wqs[bad - 1]->wq_num, n,
				n);
		return -EINVAL;
	}
	ibv_wqs = calloc(n, sizeof(*ibv_wqs));
	t = calloc(1, sizeof(*t));
	if (ibv_wqs == NULL || t == NULL) {
		free(ibv_wqs);
		free(t);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		ibv_wqs[i] = container_of(wqs[i], struct verbs_wq, pub)->ibv;
	memset(&init, 0, sizeof(init));
	init.log_ind_tbl_size = log_size;
	init.ind_tbl = ibv_wqs;
	errno = 0;
	t->ibv = ibv_create_rwq_ind_table(VCTX(ctx)->ibv, &init);
	ret = mlx4r_verbs_errno(errno, EINVAL);
	free(ibv_wqs);
	if (t->ibv == NULL) {
		free(t);
		return ret;
	}
	t->pub.ctx = ctx;
	t->pub.ind_tbl_num = t->ibv->ind_tbl_num;
	t->pub.log_size = log_size;
	verbs_track(VCTX(ctx), t, MLX4R_VERBS_IND);
	*out = &t->pub;
	return 0;
}

static int
verbs_destroy_ind_table(struct mlx4r_hw_ind_table *ind)
{
	return verbs_destroy_obj(&container_of(ind, struct verbs_ind, pub)->obj);
}

static int
verbs_create_flow(struct mlx4r_hw_qp *qp, struct ibv_flow_attr *attr,
		  struct mlx4r_hw_flow **out)
{
	struct verbs_flow *f;

	if (attr == NULL)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	errno = 0;
	f->ibv = ibv_create_flow(container_of(qp, struct verbs_qp, pub)->ibv,
				 attr);
	if (f->ibv == NULL) {
		int ret = mlx4r_verbs_errno(errno, EINVAL);

		free(f);
		return ret;
	}
	f->pub.qp = qp;
	f->pub.handle = f->ibv->handle;
	verbs_track(VCTX(qp->ctx), f, MLX4R_VERBS_FLOW);
	*out = &f->pub;
	return 0;
}

static int
verbs_destroy_flow(struct mlx4r_hw_flow *flow)
{
	return verbs_destroy_obj(&container_of(flow, struct verbs_flow,
					       pub)->obj);
}

/*
 * Destroy one object and forget it. After the device was disassociated a
 * destroy fails with EIO unless libibverbs honours
 * RDMAV_ALLOW_DISASSOC_DESTROY: the kernel destroyed the object already,
 * so it is forgotten all the same and counted as leaked (libmlx4 keeps
 * its memory); the seam says destroys succeed then. Any other failure
 * (object in use) keeps the object tracked and returns the error.
 */
static int
verbs_destroy_obj(struct mlx4r_verbs_obj *o)
{
	static bool warned;
	int ret;

	switch (o->kind) {
	case MLX4R_VERBS_FLOW:
		ret = ibv_destroy_flow(o->ibv);
		break;
	case MLX4R_VERBS_QP:
		ret = ibv_destroy_qp(o->ibv);
		break;
	case MLX4R_VERBS_IND:
		ret = ibv_destroy_rwq_ind_table(o->ibv);
		break;
	case MLX4R_VERBS_WQ:
		ret = ibv_destroy_wq(o->ibv);
		break;
	case MLX4R_VERBS_CQ:
		ret = ibv_destroy_cq(o->ibv);
		break;
	case MLX4R_VERBS_CH:
		ret = ibv_destroy_comp_channel(o->ibv);
		break;
	case MLX4R_VERBS_MR:
		ret = ibv_dereg_mr(o->ibv);
		break;
	case MLX4R_VERBS_PD:
		ret = ibv_dealloc_pd(o->ibv);
		break;
	default:
		ret = EINVAL;
		break;
	}
	switch (mlx4r_verbs_destroy_result(ret)) {
	case MLX4R_VERBS_DESTROYED:
		break;
	case MLX4R_VERBS_GONE:
		verbs_leaked++;
		if (!warned) {
			warned = true;
			mlx4r_verbs_log("destroys fail with EIO on a disassociated device: libibverbs was initialised before RDMAV_ALLOW_DISASSOC_DESTROY was set (set it to 1 in the environment of the application); the objects are forgotten, libmlx4 leaks their memory (%" PRIu64 " so far)",
					verbs_leaked);
		}
		break;
	default:
		return mlx4r_verbs_errno(ret, EIO);
	}
	pthread_mutex_lock(&verbs_objs_lock);
	LIST_REMOVE(o, next);
	pthread_mutex_unlock(&verbs_objs_lock);
	free(o->mem);
	return 0;
}

static int
verbs_get_async_event(struct mlx4r_hw_ctx *ctx,
		      struct mlx4r_hw_async_event *ev)
{
	struct ibv_async_event e;

	/* the fd is non-blocking: EAGAIN when nothing is pending */
	if (ibv_get_async_event(VCTX(ctx)->ibv, &e) != 0)
		return mlx4r_verbs_errno(errno, EAGAIN);
	mlx4r_verbs_event_from_ibv(&e, ev);
	/*
	 * Not acknowledged yet: until the driver did (verbs_ack_async_event),
	 * ibv_destroy_qp/cq of the object the event names waits
	 * (libibverbs/cmd_qp.c ibv_cmd_destroy_qp: events_completed against
	 * events_reported), so that our handle in the event, which the
	 * object's destroy frees, stays valid while the driver uses it.
	 */
	static_assert(sizeof(e.element) == sizeof(ev->be_element),
		      "rdma-core's element is one pointer");
	memcpy(&ev->be_element, &e.element, sizeof(ev->be_element));
	return 0;
}

static void
verbs_ack_async_event(struct mlx4r_hw_ctx *ctx,
		      struct mlx4r_hw_async_event *ev)
{
	struct ibv_async_event e;

	(void)ctx;
	memset(&e, 0, sizeof(e));
	e.event_type = ev->event_type;
	memcpy(&e.element, &ev->be_element, sizeof(e.element));
	ibv_ack_async_event(&e);
}

const struct mlx4r_hw_ops mlx4r_hw_verbs_ops = {
	.name = "verbs",
	.open_device = verbs_open_device,
	.close_device = verbs_close_device,
	.query_device = verbs_query_device,
	.query_port = verbs_query_port,
	.port_mac = verbs_port_mac,
	.port_counters = NULL,
	.netdev_query = verbs_netdev_query,
	.netdev_set_up = verbs_netdev_set_up,
	.netdev_set_mtu = verbs_netdev_set_mtu,
	.netdev_pause_get = verbs_netdev_pause_get,
	.netdev_pause_set = verbs_netdev_pause_set,
	.alloc_pd = verbs_alloc_pd,
	.dealloc_pd = verbs_dealloc_pd,
	.reg_mr = verbs_reg_mr,
	.dereg_mr = verbs_dereg_mr,
	.create_cq = verbs_create_cq,
	.destroy_cq = verbs_destroy_cq,
	.create_comp_channel = verbs_create_comp_channel,
	.destroy_comp_channel = verbs_destroy_comp_channel,
	.create_cq_ch = verbs_create_cq_ch,
	.get_cq_event = verbs_get_cq_event,
	.ack_cq_events = verbs_ack_cq_events,
	.cq_view = verbs_cq_view,
	.create_qp = verbs_create_qp,
	.create_rss_qp = verbs_create_rss_qp,
	.modify_qp = verbs_modify_qp,
	.query_qp_state = verbs_query_qp_state,
	.destroy_qp = verbs_destroy_qp,
	.qp_view = verbs_qp_view,
	.create_wq = verbs_create_wq,
	.modify_wq = verbs_modify_wq,
	.destroy_wq = verbs_destroy_wq,
	.wq_view = verbs_wq_view,
	.set_rss_range = verbs_set_rss_range,
	.create_ind_table = verbs_create_ind_table,
	.destroy_ind_table = verbs_destroy_ind_table,
	.create_flow = verbs_create_flow,
	.destroy_flow = verbs_destroy_flow,
	.get_async_event = verbs_get_async_event,
	.ack_async_event = verbs_ack_async_event,
};
