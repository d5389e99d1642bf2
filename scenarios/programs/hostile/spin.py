print('thinking...')
while True: pass
