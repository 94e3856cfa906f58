"""The demo builder's steps, one module each (tools/build_demo.py runs them):
aliexpress (fixtures and catalogue), pictures, clips; paths says where they go."""
