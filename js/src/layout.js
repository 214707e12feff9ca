// Deterministic tree layout, O(n), recomputed when the agent tree changes.
//
// Every subtree gets a box; a parent sits on top of the block of its children's boxes. Children sit side
// by side in one row, in spawn order, with the parent centred over them. Many childless children
// (GRID_MIN or more) are packed in rows (shelves) so that their block is about GRID_ASPECT times wider
// than tall: a manager with thousands of workers becomes a compact grid. Children with children of their
// own are never shelved: they stay in the one row, half left and half right of the grid of their childless
// siblings, and the parent sits over that grid. So no edge crosses another: a parent's edges reach its
// own row only (or its grid, right below it), and every subtree keeps to its own column. A grid that
// shares its row with k families is made about k times narrower (taller), so that a row of many
// families keeps roughly the panel's shape instead of becoming a long strip.

export const CELL = 44; // width of a childless node's box
export const LEVEL = 80; // vertical distance from a parent to the top of its children's block
export const GRID_ROW = 40; // height of a childless node's box
const GRID_MIN = 8; // from this many children on, they are packed in rows
const GRID_ASPECT = 1.5; // target width / height of a packed block
const MIN_ASPECT = 0.1; // the narrowest a block gets when it shares its row with other families
const CROWDED = 4; // from this many families in a row, even their few workers are stacked

/**
 * Lays out a forest.
 * @param {Int32Array|number[]} parents parent index of each node, -1 for a root (a node caught in a
 *   parent cycle is turned into a root, in place)
 * @returns {{x: Float64Array, y: Float64Array, width: number, height: number}}
 */
export function layoutTree(parents) {
  const n = parents.length;
  breakCycles(parents);
  const children = childLists(parents);
  const order = preorder(parents, children);
  const boxW = new Float64Array(n);
  const boxH = new Float64Array(n);
  const blockW = new Float64Array(n); // width of the children's block (may be narrower than the box)
  const offX = new Float64Array(n); // a box's offset inside its parent's block
  const offY = new Float64Array(n);
  const anchor = new Float64Array(n); // a node's x inside its box
  const families = new Int32Array(n); // children that have children of their own
  for (let i = 0; i < n; i++) if (parents[i] >= 0 && children[i].length) families[parents[i]]++;
  const sizes = { boxW, boxH, offX, offY };
  for (let k = n - 1; k >= 0; k--) {
    const i = order[k];
    const kids = children[i];
    if (!kids.length) {
      boxW[i] = CELL;
      boxH[i] = GRID_ROW;
      anchor[i] = CELL / 2;
      continue;
    }
    const share = Math.max(1, families[i] ? families[i] + 1 : 0, parents[i] >= 0 ? families[parents[i]] : 0);
    const block = arrange(kids, children, sizes, Math.max(MIN_ASPECT, GRID_ASPECT / share));
    blockW[i] = block.w;
    boxW[i] = Math.max(CELL, block.w);
    boxH[i] = LEVEL + block.h;
    anchor[i] = (boxW[i] - block.w) / 2 + block.anchor;
  }
  const rootList = order.filter((i) => parents[i] < 0);
  const forest = pack(rootList, sizes);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (const r of rootList) place(r, offX[r], offY[r], children, sizes, blockW, anchor, x, y);
  return { x, y, width: Math.max(forest.w, CELL), height: Math.max(forest.h, GRID_ROW) };
}

/**
 * Lays out a node's children (sets their offX/offY in the block); returns the block's size and where
 * the parent goes over it (`anchor`, an x in the block).
 */
function arrange(kids, children, sizes, aspect) {
  const inner = [];
  const leaves = [];
  for (const c of kids) (children[c].length ? inner : leaves).push(c);
  if (!inner.length) {
    // A few workers of a family that shares its row with many others are stacked too (narrow, tall).
    const shelves = leaves.length >= GRID_MIN || (leaves.length > 2 && aspect <= GRID_ASPECT / CROWDED);
    const block = pack(leaves, sizes, shelves, aspect);
    return { ...block, anchor: block.w / 2 };
  }
  if (leaves.length < GRID_MIN) {
    const block = pack(kids, sizes, false);
    return { ...block, anchor: block.w / 2 };
  }
  // [inner children, left half] [grid of the childless ones] [inner children, right half], in one row
  const { boxW, boxH, offX, offY } = sizes;
  const half = Math.ceil(inner.length / 2);
  let cursor = 0;
  let height = 0;
  let tallest = 0; // the grid is made about as tall as the families beside it (or narrower, by aspect)
  for (const c of inner) tallest = Math.max(tallest, boxH[c]);
  const columns = Math.max(1, Math.ceil((leaves.length * GRID_ROW) / Math.max(GRID_ROW, tallest)));
  const put = (c) => {
    offX[c] = cursor;
    offY[c] = 0;
    cursor += boxW[c];
    height = Math.max(height, boxH[c]);
  };
  inner.slice(0, half).forEach(put);
  const grid = pack(leaves, sizes, true, GRID_ASPECT, columns * CELL);
  for (const c of leaves) offX[c] += cursor;
  const anchor = cursor + grid.w / 2;
  cursor += grid.w;
  height = Math.max(height, grid.h);
  inner.slice(half).forEach(put);
  return { w: cursor, h: height, anchor };
}

/**
 * Packs boxes in rows (one row unless `shelves`, then about `aspect` times wider than tall and at most
 * `widthLimit` wide), each row centred; sets offX/offY; returns the size.
 */
function pack(
  items,
  { boxW, boxH, offX, offY },
  shelves = items.length >= GRID_MIN,
  aspect = GRID_ASPECT,
  widthLimit = Infinity,
) {
  let area = 0;
  let widest = 0;
  for (const c of items) {
    area += boxW[c] * boxH[c];
    widest = Math.max(widest, boxW[c]);
  }
  const limit = shelves ? Math.max(widest, Math.min(widthLimit, Math.sqrt(area * aspect))) : Infinity;
  const rows = []; // [first index, end index, width]
  let start = 0;
  let cursor = 0;
  let top = 0;
  let rowH = 0;
  let width = 0;
  for (let k = 0; k < items.length; k++) {
    const c = items[k];
    if (cursor > 0 && cursor + boxW[c] > limit) {
      rows.push([start, k, cursor]);
      width = Math.max(width, cursor);
      top += rowH;
      start = k;
      cursor = 0;
      rowH = 0;
    }
    offX[c] = cursor;
    offY[c] = top;
    cursor += boxW[c];
    rowH = Math.max(rowH, boxH[c]);
  }
  rows.push([start, items.length, cursor]);
  width = Math.max(width, cursor);
  for (const [a, b, w] of rows) {
    const shift = (width - w) / 2;
    for (let k = a; k < b; k++) offX[items[k]] += shift;
  }
  return { w: width, h: top + rowH };
}

/** Positions a subtree whose box has its top-left corner at (left, top). */
function place(root, left, top, children, { boxW, offX, offY }, blockW, anchor, x, y) {
  const stack = [[root, left, top]];
  while (stack.length) {
    const [i, l, t] = stack.pop();
    x[i] = l + anchor[i];
    y[i] = t;
    const blockLeft = l + (boxW[i] - blockW[i]) / 2;
    for (const c of children[i]) stack.push([c, blockLeft + offX[c], t + LEVEL + offY[c]]);
  }
}

function childLists(parents) {
  const n = parents.length;
  const children = new Array(n);
  for (let i = 0; i < n; i++) children[i] = [];
  for (let i = 0; i < n; i++) {
    if (parents[i] >= 0) children[parents[i]].push(i);
  }
  return children;
}

/** Makes a root of one node in each parent cycle (and of nodes whose parent is out of range), in place. */
function breakCycles(parents) {
  const n = parents.length;
  const mark = new Uint8Array(n); // 0 new, 1 on the current walk, 2 settled
  const walk = [];
  for (let start = 0; start < n; start++) {
    let i = start;
    while (i >= 0 && mark[i] === 0) {
      mark[i] = 1;
      walk.push(i);
      const p = parents[i];
      if (p < 0 || p >= n || p === i) {
        parents[i] = -1;
        break;
      }
      if (mark[p] === 1) {
        parents[i] = -1; // p is on this walk: a cycle; cut it here
        break;
      }
      i = p;
    }
    for (const k of walk) mark[k] = 2;
    walk.length = 0;
  }
}

/** Nodes in depth-first pre-order from the roots. */
function preorder(parents, children) {
  const order = [];
  for (let r = 0; r < parents.length; r++) {
    if (parents[r] >= 0) continue;
    const stack = [r];
    while (stack.length) {
      const i = stack.pop();
      order.push(i);
      const kids = children[i];
      for (let c = kids.length - 1; c >= 0; c--) stack.push(kids[c]);
    }
  }
  return order;
}
