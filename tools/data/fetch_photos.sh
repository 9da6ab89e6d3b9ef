#!/usr/bin/env bash
# Fetches free photographs shipped in Debian packages, for ctnn_build_dataset.
#
# No root needed: `apt-get download` fetches each .deb into a scratch directory and
# `dpkg-deb -x` unpacks it there; the chosen photos are copied flat, with unique
# names, into the photo directory, and the packages' copyright files beside them.
# Only photographs are taken: drawn, rendered and abstract wallpapers are left out
# (see docs/data.md). Idempotent: a package whose photos are in place is skipped.
# GCompris' photos are WebP files inside Qt resource files (.rcc): rcc_files.py
# extracts them and dwebp, unpacked from Debian's small `webp` package (with
# its two libraries), turns them into PNGs.
#
# Usage: tools/data/fetch_photos.sh [PHOTO_DIR]
#   PHOTO_DIR defaults to ${CTNN_CACHE:-$HOME/.cache/ctnn}/photos.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
photos="${1:-${CTNN_CACHE:-$HOME/.cache/ctnn}/photos}"
licenses="$photos/LICENSES"
mkdir -p "$photos" "$licenses"

# The photographs, package by package (paths inside the unpacked package).
mate_dir=usr/share/backgrounds/mate/nature
mate_photos=(Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings
  Wood YellowFlower)

# KDE's wallpapers ship each picture in several sizes; 2560x1600 is the largest these have.
plasma_dir=usr/share/wallpapers
plasma_photos=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite
  OneStandsOut Path summer_1am)

lxqt_dir=usr/share/lxqt/wallpapers
lxqt_photos=(Butterfly-Kenneth-Wimer.jpg Valendas.png after-the-rain.jpg appleflower.png beam.png
  butterfly.png cloud.png drop.png flowers.png fog.jpg this-is-not-windows.jpg)

# Enlightenment keeps each background as JPEGs inside an .edj (Eet) archive.
e_dir=usr/share/enlightenment/data/backgrounds
e_photos=(Bamboo Foggy-Trees God-Rays Green-Maple Lichen-Branches Mountain Peaks Red-Maple
  Sea-of-Lanterns Snow-Trees Spruce-Needles Sunset-Clouds White-Flower Yellow-Flower)

# GCompris 3.1 (gcompris-qt-data): resource paths inside usr/share/gcompris-qt/rcc/<activity>.rcc,
# relative to /gcompris/src/activities/<activity>/resource/, without the .webp.
gc_rcc_dir=usr/share/gcompris-qt/rcc
gc_erase=(alpaca bee butterfly calf camels caterpillar chamaeleon cheetah crab dolphin flying_fox
  gibbon giraffe goat gorilla gosling heron horse kingfisher kitten long_nosed_monkey macaque
  meerkats northern_harrier nubian_ibex penguin pika red_panda rhinoceros spoonbills squirrel swans
  toucan)
gc_explore_monuments=(egypt/{bentPyramid,greatPyramidOfGiza,meidumPyramid,redPyramid}
  france/{arlesAmphitheater,chateaudeChambord,chateaudeChenonceau,citedeCarcassonne,eiffelTower}
  france/{montStMichel,palaisdesPapes,pontduGard,reimsCathedral,rocamadour}
  germany/{aulaPalatina,berlinCathedral,brandenburgGate,neuschwansteinCastle,schwerinPalace}
  germany/{trierImperialBaths,wormsCathedral}
  india/{ajantaCave,charminar,gatewayofIndia,goldenTemple,greatStupa,hawaMahal,konarkSunTemple}
  india/{mysorePalace,qutubMinar,rangGhar,victoriaMemorial}
  usa/{cabrillo,canyondeChelly,castillodeSanMarcos,castleClinton,fortSumter}
  usa/{georgeWashingtonBirthplace,lincolnMemorial,mountRushmore,navajo,statueofLiberty}
  wonders/{chichenItza,christTheRedeemer,colosseum,greatWallofChina,machuPicchu,petra,tajMahal})
gc_explore_world_animals=(animals/{bison,chameleon,crocodile,dragon,giraffe,hedgehog,jaguar}
  animals/{kangaroo,koala,lemur,moose,narwhal,panda,polar_bear,scarlet_macaw})
gc_explore_farm_animals=(animals/{cat,chicken,cow,dog,duck,horse,owl,pig,sheep})
# Not music/middleeast: a lute on a plain grey backdrop.
gc_explore_world_music=(music/{africa,america,australia,ireland,italy,japan,mexico,orchestra})
# Underwater scenes only; the other pictures there are fish cut-outs.
gc_clickgame=(sea1 sea2 sea3 sea4 sea5 sea6)
# Not fishes/fish8 and fish17 (short side under 140 pixels), nor monuments/brandenburgGate,
# colosseum and greatPyramid: pixel-identical to explore_monuments' copies. The tools/, others/,
# numbers/ and alphabets/ folders are objects on white or drawings.
gc_categorization=(images/fishes/fish{1,2,3,4,5,6,7,9,10,11,12,13,14,15,16,18,19,20,21,22,23,24}
  images/fishes/fish{25,26,27,28}
  images/monuments/{IndiaGate,arcDeTriomphe,bayterek,burj,cathedral,christTheRedeemer}
  images/monuments/{eiffelTower,empireState,greatWall,jucheTower,kutubMinar,leMusee}
  images/monuments/{leaningTowerOfPisa,monument1,monument2,monument3,mountRushmore,operaHouse}
  images/monuments/{parthenon,statueOfLiberty,tajMahal,usCapitol,victoriaMemorial,zimniPalace}
  images/renewable/{dam1,dam2,dam3,dam4,dam5,geothermal}
  images/renewable/{solar1,solar2,solar3,solar4,solar5,solar6,solar7,solar8}
  images/renewable/windmill{,1,2,3,4,5,6,7,8,9,11,12,13,14,15})
# The README beside the photos in each folder names every photo's author, source and license.
declare -A gc_readmes=(
  [erase]="README" [explore_monuments]="README" [explore_world_animals]="animals/README"
  [explore_farm_animals]="animals/README" [explore_world_music]="music/README"
  [clickgame]="README"
  [categorization]="images/fishes/README images/monuments/README images/renewable/README")
gc_activities=(erase explore_monuments explore_world_animals explore_farm_animals
  explore_world_music clickgame categorization)

# Scratch 1.4's photographic backgrounds (480x360); its drawn and palette ones are left out.
scratch_dir=usr/share/scratch/Media/Backgrounds
scratch_photos=(Indoors/{chalkboard,clothing-store,hall,kitchen,the-movies-inside}
  Nature/{beach-malibu,canyon,flower-bed,forest,garden-rock,grand-canyon,gravel-desert,hill,lake}
  Nature/{moon,pathway,tree,water-and-rocks,wave}
  Outdoors/{all-sports-mural,atom-playground,bench-with-view,berkeley-mural,boardwalk}
  Outdoors/{brick-wall-and-stairs,brick-wall2,building-at-mit,building-fireproof,castle}
  Outdoors/{city-with-water,city-with-water2,driveway,hallway_outdoors,hay_field,houses,mansion}
  Outdoors/{mural-faro,parking-ramp,pool,route66,silos,the-movies,train-tracks1,train-tracks2}
  Outdoors/{village,wooden-house}
  Sports/{baseball-field,football-field,playing-field,tennis-backboard})

# Tux Paint's photographic templates and one photographic starter.
tuxpaint_dir=usr/share/tuxpaint
tuxpaint_photos=(templates/{burnt_bark,cliff,corn_maze,jellyfish,lighthouse,mossy_bark}.jpg
  templates/{mossy_log,mudstone,ocean_splash,ocean_waves,redwoods_above,rocks,sheep}.jpg
  templates/spiders_web.jpg
  templates/{sun_behind_clouds,sun_behind_leaves,trees_above,trees_at_dusk}.jpg
  templates/wool_mill_machine.jpg starters/skyline-sf-dusk-back.jpeg)

# Palapeli's puzzle photos; each has a .desktop file beside it with its author and license.
palapeli_dir=usr/share/palapeli/collection
palapeli_photos=(castle-maintenon cincinnati-bridge citrus-fruits european-honey-bee
  panther-chameleon-female)

jigsaw_dir=usr/share/puzzle-jigsaw/samples
jigsaw_photos=(cat-animal-cat-portrait-mackerel.jpg pexels-photo-302304.jpeg)

# SDDM's Maldives theme: the beach photo (its maldives.jpg is a screenshot).
maldives_dir=usr/share/sddm/themes/maldives

work="$(mktemp -d "${TMPDIR:-/tmp}/ctnn-photos.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Downloads and unpacks package $1 into $work/$1 unless its photos are already in place.
# Returns 1 when the package is already done.
unpack() {
  local pkg=$1
  if [[ -f "$photos/.done-$pkg" ]]; then
    echo "$pkg: already fetched"
    return 1
  fi
  download "$pkg"
  cp "$work/$pkg/usr/share/doc/$pkg/copyright" "$licenses/$pkg.copyright"
}

# Downloads package $1 and unpacks it into $work/$1.
download() {
  local pkg=$1
  echo "$pkg: downloading"
  if ! (cd "$work" && apt-get download -q "$pkg" >"$work/$pkg.log" 2>&1); then
    echo "error: cannot download $pkg with apt-get download:" >&2
    sed 's/^/  /' "$work/$pkg.log" >&2
    echo "If the package is not found, the package lists are missing: run 'sudo apt-get update'" \
      "once (the Debian 12 'main' archive has $pkg)." >&2
    exit 1
  fi
  mkdir -p "$work/$pkg"
  dpkg-deb -x "$work/$pkg"_*.deb "$work/$pkg"
  rm -f "$work/$pkg"_*.deb
}

# Copies $1 to $photos/$2, failing loudly if the package no longer has that file.
take() {
  if [[ ! -f "$1" ]]; then
    echo "error: expected photo $1 is missing from the package (did the package change?)" >&2
    exit 1
  fi
  cp "$1" "$photos/$2"
}

finish() {  # $1 = package, $2 = number of photos taken
  touch "$photos/.done-$1"
  rm -rf "${work:?}/$1"
  echo "$1: $2 photos"
}

if unpack mate-backgrounds; then
  for name in "${mate_photos[@]}"; do
    take "$work/mate-backgrounds/$mate_dir/$name.jpg" "mate-$name.jpg"
  done
  finish mate-backgrounds ${#mate_photos[@]}
fi

if unpack plasma-workspace-wallpapers; then
  for name in "${plasma_photos[@]}"; do
    take "$work/plasma-workspace-wallpapers/$plasma_dir/$name/contents/images/2560x1600.jpg" \
      "plasma-$name.jpg"
  done
  finish plasma-workspace-wallpapers ${#plasma_photos[@]}
fi

if unpack lxqt-themes; then
  for name in "${lxqt_photos[@]}"; do
    take "$work/lxqt-themes/$lxqt_dir/$name" "lxqt-$name"
  done
  # The wallpapers' own license note (CC-BY-SA-3.0 and credits).
  cp "$work/lxqt-themes/$lxqt_dir/License" "$licenses/lxqt-themes.wallpapers-License"
  finish lxqt-themes ${#lxqt_photos[@]}
fi

if unpack enlightenment-data; then
  for name in "${e_photos[@]}"; do
    edj="$work/enlightenment-data/$e_dir/$name.edj"
    if [[ ! -f "$edj" ]]; then
      echo "error: expected $edj is missing from the package (did the package change?)" >&2
      exit 1
    fi
    /usr/bin/python3 "$here/edj_jpegs.py" --max-width 2560 "$edj" "$photos/enlightenment-$name.jpg" \
      >/dev/null
  done
  finish enlightenment-data ${#e_photos[@]}
fi

# Fails loudly if the package no longer has file $1 (not a photo: a license or credit file).
need() {
  if [[ ! -f "$1" ]]; then
    echo "error: expected $1 is missing from the package (did the package change?)" >&2
    exit 1
  fi
}

if unpack gcompris-qt-data; then
  # dwebp from Debian's webp package (BSD-3-clause), unpacked like the photo packages, with the
  # two libraries it links to besides libpng and libc: libwebp7 and libwebpdemux2, of the same
  # version, unpacked too and found through LD_LIBRARY_PATH, so what is installed does not
  # matter (Debian 12's base image has libwebp7 but not libwebpdemux2).
  webp_libs=""
  for pkg in webp libwebp7 libwebpdemux2; do
    download "$pkg"
    [[ $pkg == webp ]] && continue
    lib="$(find "$work/$pkg" -name 'libwebp*.so.*' -print -quit)"
    if [[ -z $lib ]]; then
      echo "error: $pkg has no libwebp*.so.* library (did the package change?)" >&2
      exit 1
    fi
    webp_libs="$webp_libs${webp_libs:+:}$(dirname "$lib")"
  done
  dwebp=(env "LD_LIBRARY_PATH=$webp_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    "$work/webp/usr/bin/dwebp")
  if ! "${dwebp[@]}" -version >/dev/null 2>&1; then
    echo "error: dwebp (from Debian's webp package) does not run here; ldd says:" >&2
    LD_LIBRARY_PATH="$webp_libs" ldd "$work/webp/usr/bin/dwebp" 2>&1 | sed 's/^/  /' >&2 || true
    echo "Install what is missing (dwebp also needs libpng16-16)." >&2
    exit 1
  fi
  gc_count=0
  for act in "${gc_activities[@]}"; do
    declare -n names="gc_$act"
    prefix="/gcompris/src/activities/$act/resource"
    rcc="$work/gcompris-qt-data/$gc_rcc_dir/$act.rcc"
    need "$rcc"
    read -r -a readmes <<<"${gc_readmes[$act]}"
    members=()
    for name in "${names[@]}"; do
      members+=("$prefix/$name.webp")
    done
    for readme in "${readmes[@]}"; do
      members+=("$prefix/$readme")
    done
    # rcc_files.py names the file and the problem if a member is missing or the .rcc is malformed.
    if ! /usr/bin/python3 "$here/rcc_files.py" extract "$rcc" "$work/gc" "${members[@]}"; then
      echo "error: cannot extract GCompris' photos from $act.rcc (did the package change?)" >&2
      exit 1
    fi
    for name in "${names[@]}"; do
      webp="$work/gc$prefix/$name.webp"
      out="gcompris-$act-${name//\//-}.png"
      if ! "${dwebp[@]}" -quiet "$webp" -o "$work/gc/out.png" >"$work/dwebp.log" 2>&1; then
        echo "error: dwebp cannot decode $prefix/$name.webp from $act.rcc:" >&2
        sed 's/^/  /' "$work/dwebp.log" >&2
        exit 1
      fi
      mv "$work/gc/out.png" "$photos/$out"
    done
    for readme in "${readmes[@]}"; do
      cp "$work/gc$prefix/$readme" "$licenses/gcompris-qt-data.$act.${readme//\//.}"
    done
    gc_count=$((gc_count + ${#names[@]}))
    unset -n names
  done
  rm -rf "${work:?}/gc" "${work:?}/webp" "${work:?}/libwebp7" "${work:?}/libwebpdemux2"
  finish gcompris-qt-data $gc_count
fi

if unpack scratch; then
  for name in "${scratch_photos[@]}"; do
    take "$work/scratch/$scratch_dir/$name.jpg" "scratch-${name##*/}.jpg"
  done
  finish scratch ${#scratch_photos[@]}
fi

if unpack tuxpaint-data; then
  for name in "${tuxpaint_photos[@]}"; do
    take "$work/tuxpaint-data/$tuxpaint_dir/$name" "tuxpaint-${name##*/}"
  done
  # Credits the templates (all by Bill Kendrick).
  need "$work/tuxpaint-data/usr/share/doc/tuxpaint-data/AUTHORS.txt.gz"
  cp "$work/tuxpaint-data/usr/share/doc/tuxpaint-data/AUTHORS.txt.gz" \
    "$licenses/tuxpaint-data.AUTHORS.txt.gz"
  finish tuxpaint-data ${#tuxpaint_photos[@]}
fi

if unpack palapeli-data; then
  for name in "${palapeli_photos[@]}"; do
    take "$work/palapeli-data/$palapeli_dir/$name.jpg" "palapeli-$name.jpg"
    need "$work/palapeli-data/$palapeli_dir/$name.desktop"
    cp "$work/palapeli-data/$palapeli_dir/$name.desktop" "$licenses/palapeli-data.$name.desktop"
  done
  finish palapeli-data ${#palapeli_photos[@]}
fi

if unpack puzzle-jigsaw; then
  for name in "${jigsaw_photos[@]}"; do
    take "$work/puzzle-jigsaw/$jigsaw_dir/$name" "puzzle-jigsaw-$name"
  done
  finish puzzle-jigsaw ${#jigsaw_photos[@]}
fi

if unpack sddm-theme-maldives; then
  take "$work/sddm-theme-maldives/$maldives_dir/background.jpg" "sddm-maldives-background.jpg"
  finish sddm-theme-maldives 1
fi

count=$(find "$photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' \) |
  wc -l)
echo "$count photos in $photos"
