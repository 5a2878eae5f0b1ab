#!/bin/sh
# Build the Java sync implementation into examples/guide-java/build (Java 17, no dependencies).
set -e
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$here/build"
mkdir -p "$here/build"
javac --release 17 -d "$here/build" "$here"/src/*.java
echo "built: java -cp $here/build Main"
