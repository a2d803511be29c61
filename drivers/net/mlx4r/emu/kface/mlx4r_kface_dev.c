/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The mlx4r authors
 */

/*
 * The device thread of the kernel face: what the hardware does that the
 * model cannot see happen. On a card, a send doorbell (a write to the UAR)
 * starts the Tx engine and the RQ doorbell record tells it what was
 * posted; here the UAR is plain memory, so the thread watches instead:
 *  - the owner bit of the WQE at the head of every Tx QP in RTS (libmlx4,
 *    upstream net_mlx4 and mlx4r write it last, after a write barrier);
 *    when it says posted, the thread runs the model's Tx engine on the
 *    QP, as the doorbell would, a ring's worth of blocks a round at most
 *    (emu_tx_kick());
 *  - every receive WQ: the model's Rx engine reads the RQ doorbell record
 *    and pumps the port's wire into the posted WQEs (emu_rx_hook());
 *  - the CQ arm word of every receive WQ's CQ on a completion channel
 *    (libmlx4 cq.c mlx4_arm_cq writes it into the doorbell record before
 *    the UAR doorbell): a new one is the arm doorbell, handed to the
 *    model's event thread (cq_armed, mlx4r_emu_intr.c), which raises the
 *    event at once if CQEs wait past the arm's consumer index (a new CQE
 *    looks at the arm word itself);
 *  - every 10 ms, the ports' netdevs (the TAP interfaces in the private
 *    network namespace, SIOCGIFFLAGS, SIOCGIFMTU; /proc/net/dev_mcast
 *    every 100 ms):
 *    their state gates the port as mlx4_en's does (the model's netdev:
 *    up, MTU, promiscuous / all-multicast, the groups it joined);
 *  - the netdevs' traffic, as mlx4_en moves it (the bifurcation of a real
 *    mlx4: doc/guides/nics/mlx4r_emu.rst): what the kernel transmits on
 *    a TAP (read from its file) leaves the port onto the wire
 *    (mlx4r_emu_netdev_xmit(), en_tx.c mlx4_en_xmit), and what the
 *    netdev's steering rules take on arrival is written to its TAP
 *    (kf_netdev_rx(), en_rx.c mlx4_en_process_rx_cq), the kernel of the
 *    namespace receiving it. No queue of its own: the kernel's TAP queue
 *    (txqueuelen frames, drops counted in the TAP's tx_dropped) holds
 *    what the thread has not read, at most KF_TAP_BURST frames a port
 *    are read a round, and a frame the TAP refuses is counted in the
 *    port's netdev_rx_dropped.
 * It sleeps when it finds nothing to do, in ppoll() on the TAP files, the
 * control socket and an eventfd that a new queue rings (20 us, doubling
 * to 1 ms while queues exist, whose doorbells it must look at; 20 ms
 * without any): an idle device costs no core.
 *
 * Queues are tracked under kf_q_lock, which the thread holds while it runs
 * the engines; the command layer untracks a queue (and takes the lock
 * around a state change) before the model is asked to destroy or modify
 * it, so that the engines never run on a queue being destroyed. Lock
 * order: kf_q_lock, then the model's (dev->lock, its spinlocks).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mlx4r_kface.h"
#include "mlx4r_emu_priv.h"

#define KF_MAX_Q 512
#define KF_TAP_BURST 32            /* frames read from a TAP a round */

struct kf_q {
	struct emu_qp *qp;         /* a Tx QP, or */
	struct emu_wq *wq;         /* a receive WQ */
	uint32_t arm;              /* its CQ's arm word, as last seen */
};

static pthread_mutex_t kf_q_lock = PTHREAD_MUTEX_INITIALIZER;
static int kf_ctl_fd = -1;
static char kf_ctl_path[108];      /* the socket bound, to unlink at exit */
static uint32_t kf_seen_gen;
/* the device is unregistered (catastrophic error, GONE): read by stat() */
static bool kf_gone;
static int kf_wake_fd = -1;        /* eventfd: a queue to watch */
static struct kf_q kf_q[KF_MAX_Q];
static unsigned int kf_nb_q;
/* the device thread's waits with no queue (kf_q_lock; ctl "thread") */
static uint64_t kf_idle_waits;
static bool kf_thread_on;
static pthread_t kf_thread;
/* the device thread's lifetime: see kf_dev_stop() (all under kf_q_lock) */
static bool kf_thread_stop;        /* asked to leave its loop */
static bool kf_thread_final;       /* stopped for good: no start after */
static bool kf_thread_started;     /* it ran once (the exit report) */
static bool kf_forked;             /* a child of fork(): no thread of the
				    * parent's is here (kf_dev_fork_child) */
static pthread_once_t kf_stop_once = PTHREAD_ONCE_INIT;
static pthread_once_t kf_atexit_once = PTHREAD_ONCE_INIT;
static int kf_nd_sock = -1;
static struct {
	bool known;
	bool up;
	bool promisc;
	bool allmulti;
	int mtu;
	/*
	 * attached: the carrier is ours, and the netdev's traffic; set once
	 * by the device thread (release), read by kf_netdev_rx (acquire)
	 */
	int tap_fd;
	int carrier;               /* last carrier set (-1: none yet) */
	uint32_t nb_mc;            /* groups given to the model */
	struct rte_ether_addr mc[EMU_NETDEV_MC];
} kf_nd[2] = { { .tap_fd = -1, .carrier = -1 }, { .tap_fd = -1, .carrier = -1 } };
static uint8_t kf_tap_buf[MLX4R_EMU_MAX_FRAME]; /* the device thread's */
/*
 * TAPs to read (the device thread's): what ppoll() said readable, or a
 * TAP whose last read filled a burst; and, while the thread is too busy to
 * sleep, every KF_TAP_EVERY rounds, so that a busy round costs no read()
 * that would find nothing.
 */
static bool kf_tap_ready[2];
#define KF_TAP_EVERY 32

/*
 * The netdev's receive side (the model calls it with the port's rx_lock
 * held, in the device thread, which runs every engine of the kernel
 * face): the frame into the kernel through the TAP. A TAP write does not
 * block; it fails (EIO) while the interface is down.
 */
static bool
kf_netdev_rx(void *arg, uint8_t port, const void *frame, uint32_t len)
{
	int fd;

	(void)arg;
	if (port < 1 || port > 2)
		return false;
	/* pairs with kf_tap_attach's release store */
	fd = __atomic_load_n(&kf_nd[port - 1].tap_fd, __ATOMIC_ACQUIRE);
	if (fd < 0)
		return false;
	return kf_real.write(fd, frame, len) == (ssize_t)len;
}

/*
 * Attach to a port's TAP interface: a TAP has carrier only while a file
 * is attached to it, and the carrier of mlx4_en's netdev is the port's
 * link (en_netdev.c mlx4_en_linkstate(): netif_carrier_on/off), which
 * drivers read as IFF_RUNNING (upstream mlx4_ethdev.c mlx4_link_update(),
 * mlx4r's verbs backend). The carrier then follows the model's link
 * (TUNSETCARRIER).
 */
static void
kf_tap_attach(unsigned int p)
{
	struct ifreq ifr;
	int fd;

	fd = kf_real.open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", kf_conf.ifname[p]);
	if (kf_real.ioctl(fd, TUNSETIFF, &ifr) != 0) {
		kf_real.close(fd);
		return;
	}
	/* pairs with kf_netdev_rx's acquire load */
	__atomic_store_n(&kf_nd[p].tap_fd, fd, __ATOMIC_RELEASE);
	if (kf_model() != NULL)
		mlx4r_emu_netdev_set_rx(kf_model(), (uint8_t)(p + 1),
					kf_netdev_rx, NULL);
}

/*
 * The multicast groups the kernel joined on the TAP interfaces
 * (/proc/net/dev_mcast of the namespace: index, name, users, global,
 * address), as mlx4_en attaches them (en_netdev.c mlx4_en_do_multicast:
 * a steering rule per address, MLX4_DOMAIN_NIC), into the model's
 * netdevs; at most EMU_NETDEV_MC a port, the others are not steered to
 * it (mlx4r_emu_netdev_mc_add -ENOSPC).
 */
static void
kf_netdev_mc_sync(struct mlx4r_emu_dev *dev)
{
	struct rte_ether_addr now[2][EMU_NETDEV_MC];
	uint32_t nb[2] = { 0, 0 }, i, j;
	char line[160], name[IFNAMSIZ + 1], hex[40];
	unsigned int p, k, b;
	FILE *f;

	f = fopen("/proc/net/dev_mcast", "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%*d %16s %*d %*d %39s", name, hex) != 2 ||
		    strlen(hex) != 12)
			continue;
		for (p = 0; p < kf_conf.nb_ports && p < 2; p++) {
			if (strcmp(name, kf_conf.ifname[p]) != 0 ||
			    nb[p] == EMU_NETDEV_MC)
				continue;
			for (k = 0; k < 6; k++) {
				if (sscanf(hex + 2 * k, "%2x", &b) != 1)
					break;
				now[p][nb[p]].addr_bytes[k] = (uint8_t)b;
			}
			if (k == 6)
				nb[p]++;
		}
	}
	fclose(f);
	for (p = 0; p < kf_conf.nb_ports && p < 2; p++) {
		/* left: in the model, not in the kernel any more */
		for (i = 0; i < kf_nd[p].nb_mc; i++) {
			for (j = 0; j < nb[p]; j++)
				if (rte_is_same_ether_addr(&kf_nd[p].mc[i],
							   &now[p][j]))
					break;
			if (j == nb[p])
				mlx4r_emu_netdev_mc_del(dev, (uint8_t)(p + 1),
							&kf_nd[p].mc[i]);
		}
		for (j = 0; j < nb[p]; j++) {
			for (i = 0; i < kf_nd[p].nb_mc; i++)
				if (rte_is_same_ether_addr(&kf_nd[p].mc[i],
							   &now[p][j]))
					break;
			if (i == kf_nd[p].nb_mc)
				mlx4r_emu_netdev_mc_add(dev, (uint8_t)(p + 1),
							&now[p][j]);
		}
		memcpy(kf_nd[p].mc, now[p], sizeof(now[p]));
		kf_nd[p].nb_mc = nb[p];
	}
}

void
kf_dev_lock(void)
{
	pthread_mutex_lock(&kf_q_lock);
}

void
kf_dev_unlock(void)
{
	pthread_mutex_unlock(&kf_q_lock);
}

/* The TAP interfaces' state into the model's netdevs. */
static void
kf_netdev_sync(void)
{
	struct mlx4r_emu_dev *dev = kf_model();
	static unsigned int mc_round; /* under kf_q_lock */
	struct ifreq ifr;
	unsigned int p;
	short flags;
	bool up;

	if (dev == NULL)
		return;
	if (kf_nd_sock < 0)
		kf_nd_sock = kf_real.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (kf_nd_sock < 0)
		return;
	for (p = 0; p < kf_conf.nb_ports; p++) {
		if (kf_conf.ifname[p][0] == '\0')
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
			 kf_conf.ifname[p]);
		if (kf_real.ioctl(kf_nd_sock, SIOCGIFFLAGS, &ifr) != 0)
			continue;
		flags = ifr.ifr_flags; /* SIOCGIFMTU reuses the union */
		up = (flags & IFF_UP) != 0;
		if (kf_real.ioctl(kf_nd_sock, SIOCGIFMTU, &ifr) != 0)
			continue;
		if (!kf_nd[p].known || kf_nd[p].mtu != ifr.ifr_mtu) {
			/* what the TAP took, the port takes (MTU 68..9600) */
			mlx4r_emu_netdev_set_mtu(dev, (uint8_t)(p + 1),
						 (uint16_t)ifr.ifr_mtu);
			kf_nd[p].mtu = ifr.ifr_mtu;
		}
		if (!kf_nd[p].known || kf_nd[p].up != up) {
			mlx4r_emu_netdev_set_up(dev, (uint8_t)(p + 1), up);
			kf_nd[p].up = up;
		}
		/* ip link set promisc / allmulti: mlx4_en's default rules */
		if (!kf_nd[p].known ||
		    kf_nd[p].promisc != !!(flags & IFF_PROMISC) ||
		    kf_nd[p].allmulti != !!(flags & IFF_ALLMULTI)) {
			kf_nd[p].promisc = (flags & IFF_PROMISC) != 0;
			kf_nd[p].allmulti = (flags & IFF_ALLMULTI) != 0;
			mlx4r_emu_netdev_set_rx_mode(dev, (uint8_t)(p + 1),
						     kf_nd[p].promisc,
						     kf_nd[p].allmulti);
		}
		kf_nd[p].known = true;
		if (kf_nd[p].tap_fd < 0)
			kf_tap_attach(p);
		if (kf_nd[p].tap_fd >= 0) {
			int carrier;

			/* the port's link: its state without the netdev's */
			carrier = mlx4r_emu_link_get(dev, (uint8_t)(p + 1));
			if (carrier >= 0 && carrier != kf_nd[p].carrier &&
			    kf_real.ioctl(kf_nd[p].tap_fd, TUNSETCARRIER,
					  &carrier) == 0)
				kf_nd[p].carrier = carrier;
		}
	}
	/*
	 * The groups every 10th sync (100 ms; reading the file costs half
	 * of an idle device thread's time at every sync): mlx4_en too
	 * applies them later, from a work queue (en_netdev.c
	 * mlx4_en_set_rx_mode -> mlx4_en_do_set_rx_mode).
	 */
	if (mc_round++ % 10 == 0)
		kf_netdev_mc_sync(dev);
}

bool
kf_dev_gone(void)
{
	/* relaxed: a stat() racing the change sees either, as with udev */
	return __atomic_load_n(&kf_gone, __ATOMIC_RELAXED);
}

/*
 * The device came back from a catastrophic error: mlx4_core restarted it
 * (catas.c mlx4_handle_error_state() -> main.c mlx4_restart_one()) and
 * mlx4_en registered its interfaces again, down, with the default MTU
 * (en_netdev.c mlx4_en_init_netdev()), as the model's netdevs are. The
 * TAP interfaces stay (same name and index, unlike the kernel's new ones)
 * but go down with MTU 1500: a driver has to bring them up again, as
 * upstream does after a restart.
 */
static void
kf_netdev_recreate(void)
{
	struct ifreq ifr;
	unsigned int p;

	if (kf_nd_sock < 0)
		return;
	for (p = 0; p < kf_conf.nb_ports; p++) {
		if (kf_conf.ifname[p][0] == '\0')
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
			 kf_conf.ifname[p]);
		if (kf_real.ioctl(kf_nd_sock, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags &= ~IFF_UP;
			kf_real.ioctl(kf_nd_sock, SIOCSIFFLAGS, &ifr);
		}
		ifr.ifr_mtu = 1500;
		kf_real.ioctl(kf_nd_sock, SIOCSIFMTU, &ifr);
		kf_nd[p].known = false;
		kf_nd[p].nb_mc = 0; /* the new netdev joined none */
	}
	kf_netdev_sync();
}

/*
 * The device's place in a catastrophic error, as rdma-core sees it: while
 * it is unregistered (GONE) its node is gone (stat() and open() of
 * /dev/infiniband/uverbs0 fail with ENOENT: libibverbs does not list it,
 * init.c try_access_device()); when it is back, its sysfs directory is
 * new (mlx4_ib registers a new ib_device under the same name), which
 * libibverbs reads as its time_created (init.c setup_sysfs_uverbs(): the
 * st_mtim of class/infiniband/<name>).
 */
static void
kf_catas_sync(void)
{
	struct mlx4r_emu_dev *dev = kf_model();
	struct mlx4r_emu_dev_info info;
	char path[512];

	if (dev == NULL || mlx4r_emu_dev_info(dev, &info) != 0)
		return;
	__atomic_store_n(&kf_gone, info.catas == MLX4R_EMU_CATAS_GONE,
			 __ATOMIC_RELAXED);
	if (info.incarnation != kf_seen_gen) {
		if (kf_seen_gen != 0) {
			snprintf(path, sizeof(path),
				 "%s/sys/class/infiniband/%s", kf_conf.dir,
				 kf_conf.dev_name);
			utimensat(AT_FDCWD, path, NULL, 0);
			kf_netdev_recreate();
		}
		kf_seen_gen = info.incarnation;
	}
}

/*
 * The control socket ($MLX4R_KFACE_DIR/ctl.sock, a datagram socket; the
 * first process of the wrapper's command that opens the device binds it):
 * one command per datagram, one answer back.
 *   fatal [DETECT_MS]    catastrophic error (mlx4r_emu_fault_fatal())
 *   reappear MS          after it, absent MS longer (a slow re-creation)
 *   slow MS COUNT        the next COUNT object commands (create/modify of
 *                        CQ, QP, WQ) take MS each, then succeed
 *   link PORT up|down    the cable of a port
 *   status               the device's incarnation and catastrophic phase
 *   stats PORT           the port's counters (struct mlx4r_emu_port_stats)
 *                        that the netdev's traffic moves
 *   netdev PORT          the port's netdev as the device took it from the
 *                        TAP: up, MTU, groups, promiscuous, all-multicast
 *   thread               the device thread: queues watched, idle waits
 */
/* Nobody reads the socket at @p sa: connecting is refused. */
static bool
kf_ctl_stale(const struct sockaddr_un *sa)
{
	int probe = kf_real.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool stale;

	if (probe < 0)
		return false;
	stale = connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) != 0 &&
		errno == ECONNREFUSED;
	kf_real.close(probe);
	return stale;
}

static void
kf_ctl_bind(void)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(kf_conf.dir) + sizeof("/ctl.sock") > sizeof(sa.sun_path))
		return; /* a directory too deep for a socket: no control */
	memcpy(sa.sun_path, kf_conf.dir, strlen(kf_conf.dir));
	strcat(sa.sun_path, "/ctl.sock");
	kf_ctl_fd = kf_real.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
				   SOCK_NONBLOCK, 0);
	if (kf_ctl_fd < 0)
		return;
	if (bind(kf_ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		goto bound;
	if (errno == EADDRINUSE && kf_ctl_stale(&sa)) {
		/* a socket nobody reads any more (its process ended) */
		unlink(sa.sun_path);
		if (bind(kf_ctl_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			goto bound;
	}
	kf_real.close(kf_ctl_fd);
	kf_ctl_fd = -1;
	return;
bound:
	snprintf(kf_ctl_path, sizeof(kf_ctl_path), "%s", sa.sun_path);
}

/* The control socket goes with the process that served it. */
__attribute__((destructor)) static void
kf_ctl_unbind(void)
{
	if (kf_ctl_fd >= 0 && kf_ctl_path[0] != '\0')
		unlink(kf_ctl_path);
}

static void
kf_ctl_poll(void)
{
	static const char *const phase[] = { "none", "dead", "error", "gone" };
	struct mlx4r_emu_dev *dev = kf_model();
	struct mlx4r_emu_dev_info info;
	struct mlx4r_emu_port_stats st;
	struct mlx4r_emu_netdev_info nd;
	struct sockaddr_un from;
	socklen_t flen = sizeof(from);
	char buf[128], reply[256], word[16];
	unsigned int a = 0, c = 0;
	ssize_t n;
	int ret;

	if (kf_ctl_fd < 0 || dev == NULL)
		return;
	n = recvfrom(kf_ctl_fd, buf, sizeof(buf) - 1, 0,
		     (struct sockaddr *)&from, &flen);
	if (n <= 0)
		return;
	buf[n] = '\0';
	word[0] = '\0';
	if (strncmp(buf, "fatal", 5) == 0) {
		if (sscanf(buf + 5, "%u", &a) != 1)
			a = 100;
		ret = mlx4r_emu_fault_fatal(dev, a);
		snprintf(reply, sizeof(reply), ret == 0 ? "ok" :
			 "error: fatal: %s", strerror(-ret));
	} else if (sscanf(buf, "reappear %u", &a) == 1) {
		/* the device stays absent a ms longer after the next error */
		ret = mlx4r_emu_fault_reappear_delay(dev, a);
		snprintf(reply, sizeof(reply), ret == 0 ? "ok" :
			 "error: reappear: %s", strerror(-ret));
	} else if (sscanf(buf, "slow %u %u", &a, &c) == 2) {
		/* a firmware that takes its time, each command a ms */
		ret = mlx4r_emu_fault_cmd(dev, MLX4R_EMU_OP_CREATE_CQ |
					  MLX4R_EMU_OP_CREATE_QP |
					  MLX4R_EMU_OP_MODIFY_QP |
					  MLX4R_EMU_OP_CREATE_WQ |
					  MLX4R_EMU_OP_MODIFY_WQ, c, 0, a);
		snprintf(reply, sizeof(reply), ret == 0 ? "ok" :
			 "error: slow: %s", strerror(-ret));
	} else if (sscanf(buf, "link %u %15s", &a, word) == 2 &&
		   (strcmp(word, "up") == 0 || strcmp(word, "down") == 0)) {
		ret = mlx4r_emu_link_set(dev, (uint8_t)a,
					 strcmp(word, "up") == 0);
		snprintf(reply, sizeof(reply), ret == 0 ? "ok" :
			 "error: link: port %u: %s", a, strerror(-ret));
	} else if (sscanf(buf, "qp_error %u", &a) == 1) {
		/* a send QP of the port to error: QP_FATAL on its context */
		ret = a >= 1 && a <= 2 ?
		      mlx4r_emu_fault_qp_error_port(dev, (uint8_t)a) : -EINVAL;
		if (ret >= 0)
			snprintf(reply, sizeof(reply), "ok qp 0x%x", ret);
		else
			snprintf(reply, sizeof(reply),
				 "error: qp_error: port %u: %s", a,
				 strerror(-ret));
	} else if (strncmp(buf, "thread", 6) == 0) {
		/* kf_q_lock held (the device thread's loop) */
		snprintf(reply, sizeof(reply), "queues %u idle_waits %" PRIu64,
			 kf_nb_q, kf_idle_waits);
	} else if (strncmp(buf, "errors", 6) == 0 &&
		   mlx4r_emu_dev_info(dev, &info) == 0) {
		snprintf(reply, sizeof(reply), "cq_overruns %" PRIu64,
			 info.cq_overruns);
	} else if (strncmp(buf, "status", 6) == 0 &&
		   mlx4r_emu_dev_info(dev, &info) == 0) {
		snprintf(reply, sizeof(reply),
			 "incarnation %u catas %s contexts %u",
			 info.incarnation,
			 phase[RTE_MIN((unsigned int)info.catas, 3u)],
			 info.nb_contexts);
	} else if (sscanf(buf, "stats %u", &a) == 1) {
		ret = mlx4r_emu_port_stats(dev, (uint8_t)a, &st);
		if (ret == 0)
			snprintf(reply, sizeof(reply),
				 "rx %" PRIu64 " dropped %" PRIu64 " netdev_rx %" PRIu64 " netdev_rx_dropped %" PRIu64 " tx %" PRIu64 " tx_dropped %" PRIu64 " netdev_tx %" PRIu64 " netdev_tx_dropped %" PRIu64 " tx_errors %" PRIu64,
				 st.rx_frames, st.rx_dropped, st.netdev_rx,
				 st.netdev_rx_dropped, st.tx_frames,
				 st.tx_dropped, st.netdev_tx,
				 st.netdev_tx_dropped, st.tx_errors);
		else
			snprintf(reply, sizeof(reply),
				 "error: stats: port %u: %s", a,
				 strerror(-ret));
	} else if (sscanf(buf, "netdev %u", &a) == 1) {
		ret = mlx4r_emu_netdev_info(dev, (uint8_t)a, &nd);
		if (ret == 0 && a <= 2)
			snprintf(reply, sizeof(reply),
				 "up %d mtu %u groups %u promisc %d allmulti %d",
				 nd.up, nd.mtu, nd.nb_mc,
				 kf_nd[a - 1].promisc, kf_nd[a - 1].allmulti);
		else
			snprintf(reply, sizeof(reply),
				 "error: netdev: port %u: %s", a,
				 strerror(ret != 0 ? -ret : EINVAL));
	} else {
		snprintf(reply, sizeof(reply),
			 "error: unknown command \"%.60s\" (fatal [ms], reappear MS, slow MS COUNT, link PORT up|down, qp_error PORT, status, thread, stats PORT, netdev PORT)",
			 buf);
	}
	if (flen > sizeof(sa_family_t))
		sendto(kf_ctl_fd, reply, strlen(reply), 0,
		       (struct sockaddr *)&from, flen);
}

static bool
kf_trace_on(void)
{
	static int on = -1;

	if (on < 0)
		on = getenv("MLX4R_KFACE_TRACE") != NULL;
	return on;
}

/* MLX4R_KFACE_TRACE: the ports' counters once a second on stderr. */
static void
kf_dev_trace(void)
{
	struct mlx4r_emu_dev *dev = kf_model();
	struct mlx4r_emu_port_stats st;
	struct mlx4r_emu_netdev_info nd;
	unsigned int p;

	for (p = 1; dev != NULL && p <= kf_conf.nb_ports; p++) {
		if (mlx4r_emu_port_stats(dev, (uint8_t)p, &st) != 0 ||
		    mlx4r_emu_netdev_info(dev, (uint8_t)p, &nd) != 0)
			continue;
		fprintf(stderr, "mlx4r kface: port %u: %u queues, netdev %s mtu %u, rx %" PRIu64 " missed %" PRIu64 " dropped %" PRIu64 " port_down %" PRIu64 " netdev %" PRIu64 ", tx %" PRIu64 " dropped %" PRIu64 " errors %" PRIu64 "\n",
			p, kf_nb_q, nd.up ? "up" : "down", nd.mtu,
			st.rx_frames, st.rx_missed, st.rx_dropped,
			st.rx_port_down, st.netdev_rx, st.tx_frames,
			st.tx_dropped, st.tx_errors);
	}
}

static void
kf_q_trace(void)
{
	unsigned int i;

	for (i = 0; i < kf_nb_q; i++) {
		struct emu_cq *cq = kf_q[i].qp != NULL ? kf_q[i].qp->cq :
				    kf_q[i].wq->cq;

		if (kf_q[i].qp != NULL)
			fprintf(stderr, "  qp 0x%x state %d head %u txbbs %u",
				kf_q[i].qp->hw.qpn, kf_q[i].qp->state,
				kf_q[i].qp->head, kf_q[i].qp->txbbs);
		else
			fprintf(stderr, "  wq 0x%x state %d ci %u rdb %u",
				kf_q[i].wq->hw.wq_num, kf_q[i].wq->state,
				kf_q[i].wq->ci,
				rte_be_to_cpu_32(*kf_q[i].wq->rdb));
		fprintf(stderr, " cq 0x%x pi %u ci %u cnt %u overrun %d\n",
			cq->hw.cqn, cq->pi, rte_be_to_cpu_32(cq->db[0]),
			cq->cnt, cq->overrun);
	}
}

/* Frames the kernel sent on the TAPs: out of their ports. kf_q_lock held. */
static unsigned int
kf_tap_pump(bool all)
{
	struct mlx4r_emu_dev *dev = kf_model();
	unsigned int p, i, work = 0;
	ssize_t n;
	int fd;

	for (p = 0; dev != NULL && p < kf_conf.nb_ports && p < 2; p++) {
		fd = kf_nd[p].tap_fd;
		if (fd < 0 || !(all || kf_tap_ready[p]))
			continue;
		for (i = 0; i < KF_TAP_BURST; i++) {
			n = kf_real.read(fd, kf_tap_buf, sizeof(kf_tap_buf));
			if (n <= 0)
				break;
			/* lost frames are in the port's counters */
			mlx4r_emu_netdev_xmit(dev, (uint8_t)(p + 1), kf_tap_buf,
					      (uint32_t)n);
			work++;
		}
		/* a full burst: more may wait */
		kf_tap_ready[p] = i == KF_TAP_BURST;
	}
	return work;
}

/*
 * Sleep up to @p ns, or until a TAP has a frame, the control socket a
 * command or kf_dev_track() a queue (kf_wake_fd). kf_q_lock not held.
 */
static void
kf_dev_wait(long ns)
{
	struct pollfd pfd[4];
	struct timespec ts = { .tv_sec = ns / 1000000000L,
			       .tv_nsec = ns % 1000000000L };
	unsigned int p, tap[2];
	nfds_t n = 0, tap0, i;
	uint64_t v;

	if (kf_wake_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = kf_wake_fd, .events = POLLIN };
	if (kf_ctl_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = kf_ctl_fd, .events = POLLIN };
	tap0 = n;
	for (p = 0; p < kf_conf.nb_ports && p < 2; p++)
		if (kf_nd[p].tap_fd >= 0) {
			tap[n - tap0] = p;
			pfd[n++] = (struct pollfd){ .fd = kf_nd[p].tap_fd,
						    .events = POLLIN };
		}
	if (ppoll(pfd, n, &ts, NULL) <= 0)
		return;
	for (i = tap0; i < n; i++)
		if (pfd[i].revents != 0)
			kf_tap_ready[tap[i - tap0]] = true;
	if (kf_wake_fd >= 0 && (pfd[0].revents & POLLIN) != 0 &&
	    kf_real.read(kf_wake_fd, &v, sizeof(v)) < 0)
		v = 0; /* drained by another read: nothing to do */
}

static void *
kf_dev_thread(void *arg)
{
	struct timespec ts, last = { 0, 0 };
	uint64_t before, idle = 0, round = 0;
	unsigned int i, work, nb_q;

	(void)arg;
	pthread_mutex_lock(&kf_q_lock);
	/* kf_q_lock held at the top of every turn: kf_dev_stop() */
	while (!kf_thread_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((ts.tv_sec - last.tv_sec) * 1000000000L +
		    (ts.tv_nsec - last.tv_nsec) > 10000000L) {
			kf_netdev_sync();
			kf_catas_sync();
			if (kf_trace_on() && ts.tv_sec != last.tv_sec) {
				kf_dev_trace();
				kf_q_trace();
			}
			last = ts;
		}
		kf_ctl_poll();
		work = kf_tap_pump(++round % KF_TAP_EVERY == 0);
		for (i = 0; i < kf_nb_q; i++) {
			if (kf_q[i].qp != NULL) {
				if (emu_tx_pending(kf_q[i].qp)) {
					emu_tx_kick(kf_q[i].qp);
					work++;
				}
			} else {
				struct emu_cq *cq = kf_q[i].wq->cq;

				before = emu_wq_port_rx_frames(kf_q[i].wq);
				emu_rx_hook(kf_q[i].wq);
				work += emu_wq_port_rx_frames(kf_q[i].wq) != before;
				/* the arm doorbell (see top); ch set at create */
				if (cq->ch != NULL &&
				    __atomic_load_n(&cq->db[1], __ATOMIC_RELAXED) !=
				    kf_q[i].arm) {
					kf_q[i].arm = __atomic_load_n(&cq->db[1],
							__ATOMIC_RELAXED);
					mlx4r_hw_emu_ops.cq_armed(&cq->hw);
				}
			}
		}
		nb_q = kf_nb_q;
		if (work == 0 && nb_q == 0)
			kf_idle_waits++; /* the wait below; read under the lock */
		pthread_mutex_unlock(&kf_q_lock);
		if (work != 0) {
			idle = 0;
			sched_yield();
		} else if (nb_q == 0) {
			/* no doorbell to watch: the files wake it */
			kf_dev_wait(20000000L);
		} else {
			/* 20 us, doubling to 1 ms while nothing happens */
			kf_dev_wait(RTE_MIN(20000L << RTE_MIN(idle / 64, 6u),
					    1000000L));
			idle++;
		}
		pthread_mutex_lock(&kf_q_lock);
	}
	pthread_mutex_unlock(&kf_q_lock);
	return NULL;
}

void
kf_dev_track(struct mlx4r_hw_qp *qp, struct mlx4r_hw_wq *wq)
{
	pthread_mutex_lock(&kf_q_lock);
	if (kf_nb_q < KF_MAX_Q) {
		kf_q[kf_nb_q].qp = (struct emu_qp *)qp;
		kf_q[kf_nb_q].wq = (struct emu_wq *)wq;
		kf_q[kf_nb_q].arm = 0;
		kf_nb_q++;
	}
	pthread_mutex_unlock(&kf_q_lock);
	/* wake the thread if it sleeps in kf_dev_wait() */
	if (kf_wake_fd >= 0) {
		uint64_t one = 1;

		if (kf_real.write(kf_wake_fd, &one, sizeof(one)) < 0)
			one = 0; /* the counter is full: it is awake anyway */
	}
}

void
kf_dev_untrack(void *hw)
{
	unsigned int i;

	pthread_mutex_lock(&kf_q_lock);
	for (i = 0; i < kf_nb_q; i++) {
		if ((void *)kf_q[i].qp == hw || (void *)kf_q[i].wq == hw) {
			kf_q[i] = kf_q[--kf_nb_q];
			break;
		}
	}
	pthread_mutex_unlock(&kf_q_lock);
}

/*
 * The device thread's lifetime. It runs the model (whose log lines go
 * through rte_log) and the engines, which write into the application's
 * memory (the DMA of posted receive buffers, often in EAL hugepages):
 * it must be gone before the process takes any of that away, whatever
 * the application closes or not. rte_eal_cleanup() (lib/eal/linux/eal.c
 * in DPDK 22.11) removes the devices (eal_bus_cleanup()), then unmaps
 * the EAL's memory (rte_eal_memory_detach()) and fcloses the log stream
 * (rte_eal_log_cleanup(): a line written by another thread after it is
 * written into a freed FILE). So the thread stops for good, and is
 * joined, at the first of:
 *  - rte_eal_cleanup(), which this library interposes (mlx4r_kface.c):
 *    the stop comes before the real one runs anything, so even with a
 *    device left open (no close, no remove) nothing of the EAL has gone
 *    yet; the devices the EAL removes are closed with the engines
 *    stopped, as a PCI function's are at its remove;
 *  - exit() of a program that never calls rte_eal_cleanup() (a plain
 *    rdma-core program, or a DPDK one that just returns from main()):
 *    an atexit() handler, registered at the first start; exit() runs
 *    atexit() handlers before any library's destructor (glibc's
 *    __run_exit_handlers(): _dl_fini, which runs the destructors, was
 *    registered first, so it runs last), so before DPDK's and this
 *    library's own (the exit report).
 * It does not stop at the last close of the device: the control socket
 * (served by this thread) and the catastrophic error's course (the node
 * disappearing and coming back, kf_catas_sync()) go on while no context
 * is open, as the kernel's device goes on without users (a driver polls
 * for the node in REINIT with its context closed; the harness asks
 * "status" then).
 *
 * Handshake: the stopper sets kf_thread_stop under kf_q_lock, then
 * rings kf_wake_fd (the thread sleeps in ppoll(), kf_dev_wait(), which
 * it enters without the lock: a ring before it makes ppoll() return at
 * once; with no eventfd it wakes within 20 ms). The thread reads the
 * flag under kf_q_lock at the top of each turn (it holds the lock there,
 * and around every call into the model), leaves the loop, drops the lock
 * and returns; the stopper joins it. The mutex orders the flag (no
 * atomics needed); the join orders everything the thread did before the
 * stopper goes on, and once it has returned the thread cannot log: it no
 * longer exists.
 * kf_thread_final, set in the same critical section, keeps kf_dev_start()
 * from starting a new one afterwards (a context asked for during the
 * EAL's teardown is refused, -ENODEV, as by a device being removed).
 * Then the model's own event thread (completion channels, which pumps
 * receive queues too) is stopped and joined the same way
 * (mlx4r_emu_dev_stop_threads()).
 * The stop runs once (pthread_once): a second stopper (exit() on another
 * thread while rte_eal_cleanup() stops) waits until the first has
 * joined. The thread itself never stops itself (it calls no exit()).
 */
static void
kf_dev_stop_once(void)
{
	struct mlx4r_emu_dev *dev;
	bool on;

	pthread_mutex_lock(&kf_q_lock);
	kf_thread_final = true;
	on = kf_thread_on;
	/* set before the first start, which this lock orders after kf_init() */
	dev = kf_forked ? NULL : kf_model();
	kf_thread_stop = true;
	pthread_mutex_unlock(&kf_q_lock);
	/* wake it if it sleeps in kf_dev_wait() (or is about to: the
	 * eventfd stays readable until it reads it) */
	if (on && kf_wake_fd >= 0) {
		uint64_t one = 1;

		if (kf_real.write(kf_wake_fd, &one, sizeof(one)) < 0)
			one = 0; /* the counter is full: it is awake anyway */
	}
	if (on && !pthread_equal(pthread_self(), kf_thread)) {
		pthread_join(kf_thread, NULL);
		pthread_mutex_lock(&kf_q_lock);
		kf_thread_on = false;
		pthread_mutex_unlock(&kf_q_lock);
	}
	/* the model's own thread (completion events) goes too */
	mlx4r_emu_dev_stop_threads(dev);
}

void
kf_dev_stop(void)
{
	pthread_once(&kf_stop_once, kf_dev_stop_once);
}

static void
kf_dev_atexit(void)
{
	kf_dev_stop();
}

/*
 * fork(): the child has no device thread (only the forking thread goes
 * on), so it must not join one at its exit (the pthread_t is the
 * parent's: undefined behaviour), nor serve or unlink the parent's
 * control socket (its destructor kf_ctl_unbind() did: the parent's
 * socket was gone once a child exited), nor share the thread's eventfd
 * and TAP files (a thread of the child's would take the parent's wake-ups
 * and frames): the child drops its copies. kf_q_lock is taken around the
 * fork so that the parent's thread is in no critical section at the copy
 * (the forking thread holds no model lock at fork(): lock order kept). A
 * child that opens a context starts a thread of its own.
 */
static void
kf_dev_fork_prepare(void)
{
	pthread_mutex_lock(&kf_q_lock);
}

static void
kf_dev_fork_parent(void)
{
	pthread_mutex_unlock(&kf_q_lock);
}

static void
kf_dev_fork_child(void)
{
	unsigned int p;

	kf_thread_on = false;
	/* nor the model's event thread, which it must not join either */
	kf_forked = true;
	/* the files the child shares with the parent's thread */
	if (kf_ctl_fd >= 0)
		kf_real.close(kf_ctl_fd);
	kf_ctl_fd = -1;
	kf_ctl_path[0] = '\0';
	if (kf_wake_fd >= 0)
		kf_real.close(kf_wake_fd);
	kf_wake_fd = -1;
	for (p = 0; p < 2; p++) {
		if (kf_nd[p].tap_fd >= 0)
			kf_real.close(kf_nd[p].tap_fd);
		kf_nd[p].tap_fd = -1;
		kf_nd[p].carrier = -1;
		kf_nd[p].known = false;
	}
	pthread_mutex_unlock(&kf_q_lock);
}

static void
kf_dev_atexit_register(void)
{
	atexit(kf_dev_atexit);
	pthread_atfork(kf_dev_fork_prepare, kf_dev_fork_parent,
		       kf_dev_fork_child);
}

const char *
kf_dev_thread_state(void)
{
	const char *st;

	pthread_mutex_lock(&kf_q_lock);
	st = kf_thread_on ? "running" : kf_thread_started ? "stopped" :
	     "never started";
	pthread_mutex_unlock(&kf_q_lock);
	return st;
}

int
kf_dev_start(void)
{
	pthread_once(&kf_atexit_once, kf_dev_atexit_register);
	pthread_mutex_lock(&kf_q_lock);
	if (kf_thread_final) {
		/* the process is tearing down (kf_dev_stop()) */
		pthread_mutex_unlock(&kf_q_lock);
		return -ENODEV;
	}
	if (!kf_thread_on) {
		if (kf_wake_fd < 0)
			kf_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		kf_netdev_sync();
		kf_catas_sync();
		kf_ctl_bind();
		if (pthread_create(&kf_thread, NULL, kf_dev_thread, NULL) != 0) {
			pthread_mutex_unlock(&kf_q_lock);
			return -EAGAIN;
		}
		pthread_setname_np(kf_thread, "mlx4r-cx3");
		/* joinable: kf_dev_stop() joins it */
		kf_thread_on = true;
		kf_thread_started = true;
	}
	pthread_mutex_unlock(&kf_q_lock);
	return 0;
}
