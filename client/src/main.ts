import { mount } from 'svelte';
import App from './App.svelte';
import { loadBinaryDissectors } from './wire/dissectors.ts';
import './theme.css';

mount(App, { target: document.getElementById('app')! });

// HTTP/2 and TLS are read by a chunk of their own, fetched once the page has drawn: a lane that
// meets them before it has come waits for it (`LaneRecord`), which is rare.
const idle = (then: () => void): void => void ('requestIdleCallback' in window ? requestIdleCallback(then, { timeout: 2000 }) : setTimeout(then, 200));
idle(() => void loadBinaryDissectors());
