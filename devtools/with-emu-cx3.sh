#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mlx4r authors
#
# Run a command with one emulated ConnectX-3 visible to rdma-core and to
# DPDK's PCI bus, as if the card and Linux mlx4_core/mlx4_ib/mlx4_en were
# there (doc/guides/nics/mlx4r_emu.rst):
#
#   devtools/with-emu-cx3.sh [--ports 1|2] [--wire KIND] [--pci BDF]
#                            [--gen-flows N] [--gen-dport PORT]
#                            [--part 4099|4100|4103] [--vf] [--lib PATH]
#                            [--] COMMAND [ARGS...]
#
#   --ports  physical ports of the card (default 2)
#   --wire   what the ports are cabled to: gen (the model's traffic
#            generator and checker, default), xconnect (port 1 to port 2),
#            loopback, none
#   --gen-flows N  flows of the generator (wire gen, default 1; RSS spreads
#            flows: source address and port vary)
#   --gen-dport PORT  UDP destination port of the generator's frames
#            (default 5000)
#   --pci    PCI address of the function (default 0000:82:00.0)
#   --part   4099: ConnectX-3 (PCI device 0x1003, default); 4103:
#            ConnectX-3 Pro (0x1007); 4100: a ConnectX-3 SR-IOV virtual
#            function (0x1004) as a guest sees it
#   --vf     the same as --part 4100
#   --lib    libmlx4r_kface.so (default: the build tree's, or
#            $MLX4R_KFACE_LIB)
#
# It writes a private sysfs tree (SYSFS_PATH for libibverbs,
# SYSFS_PCI_DEVICES for DPDK), creates the ports' netdevs as TAP interfaces
# in a private network namespace (the command runs in it), preloads
# libmlx4r_kface.so, which answers /dev/infiniband/uverbs0, prints the PCI
# address, the RDMA device and the netdevs, runs COMMAND and removes
# everything. Its exit status is the command's. MLX4R_KFACE_CTL in the
# command's environment is the control socket of the emulated device
# (devtools/mlx4r-emu-ctl.py).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ports=2
wire=gen
bdf=0000:82:00.0
flows=1
dport=5000
part=4099
lib=${MLX4R_KFACE_LIB:-$top/build/drivers/net/mlx4r/emu/kface/libmlx4r_kface.so}

usage() {
	sed -n '5,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--ports) ports=${2:-}; shift 2 ;;
	--wire) wire=${2:-}; shift 2 ;;
	--pci) bdf=${2:-}; shift 2 ;;
	--gen-flows) flows=${2:-}; shift 2 ;;
	--gen-dport) dport=${2:-}; shift 2 ;;
	--part) part=${2:-}; shift 2 ;;
	--vf) part=4100; shift ;;
	--lib) lib=${2:-}; shift 2 ;;
	--) shift; break ;;
	-h|--help) usage ;;
	-*) echo "with-emu-cx3.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
case $ports in 1|2) ;; *) echo "with-emu-cx3.sh: --ports $ports: 1 or 2" >&2; exit 2 ;; esac
case $wire in gen|xconnect|loopback|none) ;;
	*) echo "with-emu-cx3.sh: --wire $wire: gen, xconnect, loopback or none" >&2; exit 2 ;;
esac
if ! [[ $flows =~ ^[0-9]+$ ]] || [ "$flows" -lt 1 ] || [ "$flows" -gt 1024 ]; then
	echo "with-emu-cx3.sh: --gen-flows $flows: 1..1024" >&2; exit 2
fi
if ! [[ $dport =~ ^[0-9]+$ ]] || [ "$dport" -lt 1 ] || [ "$dport" -gt 65535 ]; then
	echo "with-emu-cx3.sh: --gen-dport $dport: 1..65535" >&2; exit 2
fi
if [ "$wire" = xconnect ] && [ "$ports" != 2 ]; then
	echo "with-emu-cx3.sh: --wire xconnect needs --ports 2" >&2; exit 2
fi
# the part number is the PCI device id (mlx4_core main.c mlx4_pci_table;
# mlx4_ib main.c mlx4_ib_query_device: vendor_part_id = pdev->device)
case $part in
	4099) pcidev=1003; partname=ConnectX-3 ;;
	4100) pcidev=1004; partname="ConnectX-3 VF" ;;
	4103) pcidev=1007; partname="ConnectX-3 Pro" ;;
	*) echo "with-emu-cx3.sh: --part $part: 4099 (ConnectX-3), 4100 (ConnectX-3 VF) or 4103 (ConnectX-3 Pro)" >&2; exit 2 ;;
esac
# A VF as the guest it is passed through to sees it: its own PCI function
# (subsystem 15b3:61b0), no physfn link (the PF is the host's: Linux
# drivers/pci/iov.c pci_iov_sysfs_link() makes it on the host only), no
# sriov_* files; mlx4_core binds it as a slave (main.c mlx4_pci_table:
# MLX4_PCI_DEV_IS_VF), whose commands the host's PF answers.
subsys=0050
[ "$part" != 4100 ] || subsys=61b0
if ! [[ $bdf =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]]; then
	echo "with-emu-cx3.sh: --pci $bdf: not a PCI address (dddd:bb:dd.f)" >&2; exit 2
fi
if [ ! -f "$lib" ]; then
	echo "with-emu-cx3.sh: $lib not found (build the tree, or --lib)" >&2; exit 2
fi
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")

dir=$(mktemp -d "${TMPDIR:-/tmp}/mlx4r-cx3.XXXXXX")
cleanup() { rm -rf "$dir"; }
trap cleanup EXIT

ibdev=mlx4_0
sys=$dir/sys
bus=${bdf%:*}          # dddd:bb
pcidir=$sys/devices/pci${bus}/$bdf
ifnames=()
for p in $(seq 1 "$ports"); do ifnames+=("cx3p$p"); done

w() {
	[ -d "${1%/*}" ] || mkdir -p "${1%/*}"
	printf '%s\n' "$2" > "$1"
}

# The PCI function, as DPDK's PCI scan reads it (drivers/bus/pci/linux/
# pci.c pci_scan_one(): vendor, device, subsystem ids, class, numa_node,
# resource, the driver link) and as mlx4_core binds it.
w "$pcidir/vendor" 0x15b3
w "$pcidir/device" "0x$pcidev"
w "$pcidir/subsystem_vendor" 0x15b3
w "$pcidir/subsystem_device" "0x$subsys"
w "$pcidir/class" 0x020000
w "$pcidir/numa_node" 0
w "$pcidir/irq" 0
w "$pcidir/modalias" "pci:v000015B3d0000${pcidev}sv000015B3sd0000${subsys^^}bc02sc00i00"
printf 'DRIVER=mlx4_core\nPCI_CLASS=20000\nPCI_ID=15B3:%s\nPCI_SUBSYS_ID=15B3:%s\nPCI_SLOT_NAME=%s\nMODALIAS=pci:v000015B3d0000%ssv000015B3sd0000%sbc02sc00i00\n' \
	"$pcidev" "${subsys^^}" "$bdf" "$pcidev" "${subsys^^}" > "$pcidir/uevent"
# BAR 0 (1 MB, the HCR and ICM doorbells) and BAR 2 (UARs, 8 MB), as lspci
# shows a ConnectX-3; six BARs, then the ROM and the unused lines.
{
	printf '0x00000000fbe00000 0x00000000fbefffff 0x0000000000140204\n'
	printf '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'
	printf '0x00000000f8000000 0x00000000f87fffff 0x000000000014220c\n'
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		printf '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'
	done
} > "$pcidir/resource"
mkdir -p "$sys/bus/pci/drivers/mlx4_core" "$sys/bus/pci/devices"
ln -s "../../../../bus/pci/drivers/mlx4_core" "$pcidir/driver"
ln -s "../../../devices/pci${bus}/$bdf" "$sys/bus/pci/devices/$bdf"

# The port netdevs mlx4_en registers: device/net/<ifname>, dev_port is the
# port number - 1 (upstream mlx4_ethdev.c mlx4_get_ifname()).
for i in "${!ifnames[@]}"; do
	n=${ifnames[$i]}
	w "$pcidir/net/$n/dev_port" "$i"
	w "$pcidir/net/$n/dev_id" 0x0
	w "$pcidir/net/$n/address" "$(printf '00:02:c9:00:00:%02x' $((i + 1)))"
	w "$pcidir/net/$n/type" 1
done

# The RDMA device (class/infiniband/<ibdev>) and its uverbs node
# (class/infiniband_verbs/uverbs0), as libibverbs reads them
# (libibverbs/init.c find_sysfs_devs(), setup_sysfs_dev(); sysfs.c).
ib=$pcidir/infiniband/$ibdev
w "$ib/node_type" "1: CA"
w "$ib/node_guid" "0002:c903:0000:0001"
w "$ib/sys_image_guid" "0002:c903:0000:0001"
w "$ib/fw_ver" "2.42.5000"
# mlx4_ib main.c hca_type_show(): "MT%d" of the PCI device id
w "$ib/hca_type" "MT$part"
w "$ib/hw_rev" "1"
w "$ib/board_id" "MT_1090120019"
w "$ib/node_desc" "$(hostname) $ibdev"
ln -s "../.." "$ib/device"
for i in "${!ifnames[@]}"; do
	p=$((i + 1))
	pd=$ib/ports/$p
	w "$pd/link_layer" Ethernet
	w "$pd/state" "4: ACTIVE"
	w "$pd/phys_state" "5: LinkUp"
	w "$pd/rate" "40 Gb/sec (4X QDR)"
	w "$pd/lid" 0x0
	w "$pd/sm_lid" 0x0
	w "$pd/lid_mask_count" 0
	w "$pd/cap_mask" 0x04010000
	# GID 0: the link-local RoCE v1 GID of the port's MAC (EUI-64),
	# GID 1 its RoCE v2 twin (mlx4_ib main.c mlx4_ib_add_gid()).
	mac=$(cat "$pcidir/net/${ifnames[$i]}/address")
	IFS=: read -r m0 m1 m2 m3 m4 m5 <<< "$mac"
	gid=$(printf 'fe80:0000:0000:0000:%02x%s:%sff:fe%s:%s%s' \
		$((0x$m0 ^ 2)) "$m1" "$m2" "$m3" "$m4" "$m5")
	w "$pd/gids/0" "$gid"
	w "$pd/gids/1" "$gid"
	w "$pd/gid_attrs/types/0" "IB/RoCE v1"
	w "$pd/gid_attrs/types/1" "RoCE v2"
	w "$pd/gid_attrs/ndevs/0" "${ifnames[$i]}"
	w "$pd/gid_attrs/ndevs/1" "${ifnames[$i]}"
	for ((g = 2; g < 128; g++)); do
		printf '%s\n' "0000:0000:0000:0000:0000:0000:0000:0000" > "$pd/gids/$g"
	done
done
mkdir -p "$sys/class/infiniband" "$sys/class/infiniband_verbs"
ln -s "../../devices/pci${bus}/$bdf/infiniband/$ibdev" "$sys/class/infiniband/$ibdev"
uv=$pcidir/infiniband_verbs/uverbs0
w "$uv/ibdev" "$ibdev"
w "$uv/abi_version" 4
w "$uv/dev" "231:192"
ln -s "../.." "$uv/device"
ln -s "../../devices/pci${bus}/$bdf/infiniband_verbs/uverbs0" "$sys/class/infiniband_verbs/uverbs0"
w "$sys/class/infiniband_verbs/abi_version" 6
mkdir -p "$sys/class/net"

echo "mlx4r emu: $partname (15b3:$pcidev) at PCI $bdf, RDMA device $ibdev, ports ${ports}, netdevs ${ifnames[*]}, wire $wire, control $dir/ctl.sock" >&2

export SYSFS_PATH=$sys
export SYSFS_PCI_DEVICES=$sys/bus/pci/devices
export MLX4R_KFACE_DIR=$dir
export MLX4R_KFACE_PORTS=$ports
export MLX4R_KFACE_WIRE=$wire
export MLX4R_KFACE_GEN_FLOWS=$flows
export MLX4R_KFACE_GEN_DPORT=$dport
export MLX4R_KFACE_PART=$part
export MLX4R_KFACE_IFNAMES=$(IFS=,; echo "${ifnames[*]}")
export MLX4R_KFACE_CTL=$dir/ctl.sock
export MLX4R_EMU_PCI=$bdf
export LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD}

# The netdevs, in a private network namespace: TAP interfaces, down, as
# mlx4_en registers them (en_netdev.c mlx4_en_init_netdev()). Without the
# right to create one (no CAP_SYS_ADMIN, no /dev/net/tun) the command runs
# in the caller's namespace with no netdev and says so.
inner='set -e
ip link set lo up
i=0
for n in ${MLX4R_KFACE_IFNAMES//,/ }; do
	ip tuntap add dev "$n" mode tap
	i=$((i + 1))
	ip link set dev "$n" address "$(printf "00:02:c9:00:00:%02x" $i)"
done
exec "$@"'
set +e
if unshare --net true 2>/dev/null && [ -c /dev/net/tun ] && command -v ip > /dev/null; then
	LD_PRELOAD= unshare --net -- env LD_PRELOAD="$LD_PRELOAD" bash -c "$inner" bash "$@"
	rc=$?
else
	echo "mlx4r emu: no private network namespace or TAP here: no netdevs" >&2
	export MLX4R_KFACE_IFNAMES=
	"$@"
	rc=$?
fi
exit $rc
